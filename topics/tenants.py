"""Tenant settings on the compacted ``tenants`` topic: publish them, and follow them.

A record is key = tenant_id (UTF-8), value = JSON
``{"timezone": "Europe/Lisbon", "sla": {"urgent": 600000, "high": 1800000, ...}}`` (first-response
targets in milliseconds by priority); a priority missing from ``sla``, or ``sla`` itself (records
written before it existed), takes its default. An optional ``"retention": {"raw": "90d"}`` sets
the tenant's own retention windows by kind (``pulse.privacy.windows``); a kind left out takes
the default window of ``PULSE_PRIVACY_RETENTION_*``. An optional ``"engaged_events"`` lists the
``web.event`` names that make a web session engaged (not a bounce). An optional ``"sensitive"``
lists the drill-down fields masked to tokens without ``analytics.pii``
(``pulse.families.drilldown.sensitive``), and ``"export_row_limit"`` the most rows one of the
tenant's exports writes (``PULSE_API_EXPORT_ROW_LIMIT`` caps it). A null value (tombstone)
returns the tenant to the defaults. :class:`TenantDirectory` follows the topic
(``pulse.topics.compacted``) and keeps the latest per tenant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from confluent_kafka import Message

from pulse.families.drilldown.sensitive import NotMaskableError, is_maskable, sensitive_fields
from pulse.families.helpdesk.model import DEFAULT_SLA_MS
from pulse.privacy.errors import PrivacyError
from pulse.privacy.windows import Window, parse_windows
from pulse.settings import KafkaSettings, Settings
from pulse.topics.compacted import CompactedDirectory, acknowledged_producer, publish_record
from pulse.topics.errors import (
    MissingTopicError,
    PublishError,
    TenantDirectoryError,
    TenantSettingsError,
)
from pulse.topics.sla import check_priority, check_target

log = structlog.get_logger(__name__)

DEFAULT_TIMEZONE = "UTC"


def _default_sla() -> Mapping[str, int]:
    return MappingProxyType(dict(DEFAULT_SLA_MS))


@dataclass(frozen=True)
class TenantSettings:
    """A tenant's zone, its first-response targets (milliseconds by priority, all four) and the
    names of the interactive ``web.event``s that make a web session engaged (not a bounce)."""

    timezone: str = DEFAULT_TIMEZONE
    sla_ms: Mapping[str, int] = field(default_factory=_default_sla)
    engaged_events: tuple[str, ...] = ()
    # The tenant's own retention windows by kind ("90d"); kinds left out take the defaults.
    retention: Mapping[str, str] = field(default_factory=dict)
    # Drill-down fields masked to tokens without analytics.pii ("attributes.email", "contact_id").
    sensitive: tuple[str, ...] = ()
    # The most rows one export writes (None: the API's PULSE_API_EXPORT_ROW_LIMIT alone).
    export_row_limit: int | None = None

    def __post_init__(self) -> None:
        self._check_exports()
        try:
            own = parse_windows(",".join(f"{k}={v}" for k, v in self.retention.items()))
        except PrivacyError as exc:
            raise TenantSettingsError(exc.message, field="retention") from exc
        object.__setattr__(self, "retention", MappingProxyType({k: str(w) for k, w in own.items()}))
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError, OSError) as exc:
            raise TenantSettingsError(
                f"unknown IANA time zone {self.timezone!r}", field="timezone", value=self.timezone
            ) from exc
        targets = dict(DEFAULT_SLA_MS)
        for priority, ms in self.sla_ms.items():
            if isinstance(ms, bool) or not isinstance(ms, int):
                raise TenantSettingsError(
                    f"SLA target of {priority} must be an integer of milliseconds",
                    field="sla",
                    value=ms,
                )
            targets[check_priority(priority)] = check_target(priority, ms)
        object.__setattr__(self, "sla_ms", MappingProxyType(targets))
        names = self.engaged_events
        if isinstance(names, str) or not all(isinstance(n, str) and n for n in names):
            raise TenantSettingsError(
                "engaged_events must be a list of non-empty names", field="engaged_events"
            )
        object.__setattr__(self, "engaged_events", tuple(sorted(set(names))))

    def _check_exports(self) -> None:
        names = self.sensitive
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TenantSettingsError("sensitive must be a list of field names", field="sensitive")
        try:
            object.__setattr__(self, "sensitive", sensitive_fields(names))
        except NotMaskableError as exc:
            raise TenantSettingsError(
                exc.message, field="sensitive", name=exc.fields["field"]
            ) from exc
        limit = self.export_row_limit
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise TenantSettingsError(
                "export_row_limit must be a positive integer of rows",
                field="export_row_limit",
                value=limit,
            )

    def __hash__(self) -> int:
        return hash(
            (
                self.timezone,
                tuple(sorted(self.sla_ms.items())),
                self.engaged_events,
                tuple(sorted(self.retention.items())),
                self.sensitive,
                self.export_row_limit,
            )
        )

    def export_limit(self, ceiling: int) -> int:
        """The most rows one export writes: the tenant's limit, never above the API's."""
        return ceiling if self.export_row_limit is None else min(self.export_row_limit, ceiling)

    def retention_windows(self) -> dict[str, Window]:
        return {kind: Window.parse(text) for kind, text in self.retention.items()}

    def to_json(self) -> bytes:
        data: dict[str, Any] = {"timezone": self.timezone, "sla": dict(self.sla_ms)}
        if self.engaged_events:
            data["engaged_events"] = list(self.engaged_events)
        if self.retention:
            data["retention"] = dict(self.retention)
        if self.sensitive:
            data["sensitive"] = list(self.sensitive)
        if self.export_row_limit is not None:
            data["export_row_limit"] = self.export_row_limit
        return json.dumps(data).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> TenantSettings:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise TenantSettingsError(f"not JSON: {exc}", field="value") from exc
        if not isinstance(data, dict):
            raise TenantSettingsError("tenant settings must be a JSON object", field="value")
        zone = data.get("timezone", DEFAULT_TIMEZONE)
        if not isinstance(zone, str):
            raise TenantSettingsError("timezone must be a string", field="timezone")
        sla: Any = data.get("sla")
        if sla is None:
            sla = {}
        if not isinstance(sla, dict):
            raise TenantSettingsError("sla must be an object of priority: ms", field="sla")
        engaged: Any = data.get("engaged_events") or []
        if not isinstance(engaged, list):
            raise TenantSettingsError("engaged_events must be a list", field="engaged_events")
        retention: Any = data.get("retention") or {}
        if not isinstance(retention, dict) or not all(
            isinstance(v, str) for v in retention.values()
        ):
            raise TenantSettingsError(
                "retention must be an object of kind: window", field="retention"
            )
        sensitive: Any = data.get("sensitive") or []
        if not isinstance(sensitive, list):
            raise TenantSettingsError("sensitive must be a list", field="sensitive")
        return cls(
            timezone=zone,
            sla_ms=sla,
            engaged_events=tuple(engaged),
            retention=retention,
            # Names a figure shows are no longer maskable; records written before are read
            # without them rather than refused, which would drop the tenant's other settings.
            sensitive=tuple(n for n in sensitive if isinstance(n, str) and is_maskable(n)),
            export_row_limit=data.get("export_row_limit"),
        )


def publish_tenant(
    kafka: KafkaSettings, topic: str, tenant_id: str, tenant: TenantSettings
) -> None:
    """Writes ``tenant`` for ``tenant_id`` to ``topic`` and waits for the broker's ack."""
    if not tenant_id:
        raise TenantSettingsError("tenant_id must not be empty", field="tenant_id")
    publish_record(
        acknowledged_producer(kafka),
        topic,
        tenant_id,
        tenant.to_json(),
        PublishError,
        f"tenant {tenant_id!r}",
    )


class TenantDirectory(CompactedDirectory):
    """The latest settings of every tenant, read from the beginning of the compacted topic."""

    role = "tenant directory"
    error = TenantDirectoryError
    # A command without the topic (a fresh `pulse recalc`) may read every tenant's defaults.
    missing_error = MissingTopicError

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._tenants: dict[str, TenantSettings] = {}
        super().__init__(kafka, topic)

    @classmethod
    def from_settings(cls, settings: Settings) -> TenantDirectory:
        """The directory of ``settings``' own ``tenants`` topic."""
        return cls(settings.kafka, settings.topic("tenants"))

    def timezone(self, tenant_id: str) -> str:
        """The tenant's IANA zone; ``"UTC"`` for a tenant never configured."""
        return self.settings_for(tenant_id).timezone

    def settings_for(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings; the defaults for a tenant never configured."""
        self._raise_failure()
        return self._tenants.get(tenant_id) or TenantSettings()

    def snapshot(self) -> dict[str, TenantSettings]:
        return dict(self._tenants)

    def _apply(self, key: str, value: bytes | None, msg: Message) -> None:
        if value is None:
            self._tenants.pop(key, None)
            return
        try:
            self._tenants[key] = TenantSettings.from_json(value)
        except TenantSettingsError as exc:
            # Keep the last good settings: one bad record must not move a tenant's buckets.
            log.warning(
                "tenant_record_invalid",
                topic=self._topic,
                tenant_id=key,
                partition=msg.partition(),
                offset=msg.offset(),
                reason=exc.message,
            )
