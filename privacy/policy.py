"""The retention policy in force: the settings' default windows and the tenants' own."""

from __future__ import annotations

from collections.abc import Mapping

from pulse.privacy.windows import RetentionPolicy, Window
from pulse.settings import PrivacySettings
from pulse.topics.tenants import TenantSettings


def default_windows(privacy: PrivacySettings) -> dict[str, Window]:
    return {
        "raw": Window.parse(privacy.retention_raw),
        "aggregates": Window.parse(privacy.retention_aggregates),
        "csat": Window.parse(privacy.retention_csat),
        "dead_letters": Window.parse(privacy.retention_dead_letters),
    }


def policy_of(privacy: PrivacySettings, tenants: Mapping[str, TenantSettings]) -> RetentionPolicy:
    own = {tenant: s.retention_windows() for tenant, s in tenants.items() if s.retention}
    return RetentionPolicy(default_windows(privacy), own)
