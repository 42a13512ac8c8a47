"""The retention policy in force: the settings' default windows and the tenants' own."""

from __future__ import annotations

from collections.abc import Mapping

from pulse.privacy.windows import RetentionPolicy, Window
from pulse.settings import PrivacySettings, Settings
from pulse.topics.errors import MissingTopicError
from pulse.topics.tenants import TenantDirectory, TenantSettings


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


def tenants_policy(settings: Settings) -> RetentionPolicy:
    """The policy of ``settings`` and of the tenants topic as it stands now, for a command that
    runs outside ``pulse serve`` (no topic: no tenant has settings of its own)."""
    try:
        directory = TenantDirectory.from_settings(settings)
    except MissingTopicError:
        return policy_of(settings.privacy, {})
    with directory as tenants:
        tenants.wait_until_caught_up(timeout=30)
        return policy_of(settings.privacy, tenants.snapshot())
