"""The tables the sink writes, as the row contract names their columns (docs/ARCHITECTURE.md).

The migrations own the DDL; this is the writer's view of the same columns: which a row must carry,
which fall back to a default, and what a value must be. ``tests/sinks/test_tables.py`` checks both
views agree column for column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal[
    "string", "ms", "uint", "nullable_int", "nullable_uint", "nullable_bool", "map", "array"
]

# DateTime64(3)'s range: 1900-01-01 to 2299-12-31 UTC.
MS_MIN = -2_208_988_800_000
MS_MAX = 10_413_791_999_999


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    bits: int = 64
    fill: Any = None  # the default when it is not the kind's zero value

    @property
    def default(self) -> Any:
        return _DEFAULTS[self.kind] if self.fill is None else self.fill


_DEFAULTS: dict[Kind, Any] = {
    "string": "",
    "ms": 0,
    "uint": 0,
    "nullable_int": None,
    "nullable_uint": None,
    "nullable_bool": None,
    "map": {},
    "array": [],
}


def _strings(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, "string") for n in names)


def _required(*columns: Column) -> tuple[Column, ...]:
    return tuple(Column(c.name, c.kind, True, c.bits) for c in columns)


EVENTS_RAW = (
    *_required(*_strings("tenant_id", "event_id", "event_type"), Column("occurred_at", "ms")),
    Column("schema_version", "uint", bits=16, fill=1),
    *_strings("channel", "direction", "sender_type", "message_id", "conversation_id"),
    *_strings("contact_id", "agent_id", "org_unit", "campaign_id", "workflow_id", "sequence_id"),
    Column("sequence_step", "nullable_int", bits=32),
    *_strings("template_id", "priority"),
    Column("score", "nullable_uint", bits=8),
    *_strings("run_id", "enrollment_id"),
    Column("step_number", "nullable_int", bits=32),
    *_strings("flow_id", "name", "visitor_id", "session_id", "url", "referrer"),
    *_strings("utm_source", "utm_medium", "utm_campaign", "device", "browser", "os", "country"),
    *_strings("ip"),
    Column("dnt", "nullable_bool"),
    Column("attributes", "map"),
    Column("tags", "array"),
    *_strings("source_topic"),
    Column("source_partition", "uint", bits=32),
    Column("source_offset", "uint"),
    Column("ingested_at", "ms"),
)


DEAD_LETTERS = (
    *_required(
        *_strings("source_topic"),
        Column("source_partition", "uint", bits=32),
        Column("source_offset", "uint"),
    ),
    Column("source_row", "uint", bits=32),
    *_strings("tenant_id", "code", "field", "reason", "payload_b64"),
    Column("payload_bytes", "uint"),
    *_strings("payload_sha256"),
    Column("failed_at", "ms", required=True),
)

SINK_OFFSETS = (
    *_required(
        *_strings("group_id", "topic"),
        Column("partition", "uint", bits=32),
        Column("offset", "uint"),
    ),
    Column("updated_at", "ms"),
)

# `pulse alerts deliver` hands off one row per delivery attempt (alerts/README.md).
ALERT_DELIVERIES = (
    *_required(*_strings("notification_id", "tenant_id")),
    *_strings("rule_id", "notification_kind"),
    *_required(*_strings("destination_id")),
    *_strings("destination_kind"),
    Column("attempt", "uint", required=True, bits=32),
    *_strings("outcome"),
    Column("status_code", "uint", bits=16),
    *_strings("error"),
    Column("duration_ms", "uint", bits=32),
    Column("attempted_at", "ms", required=True),
)

# Tables a hand-off message may name; sink_offsets is the sink's own bookkeeping. Any other name,
# such as the retired messaging_counters or conversation_frt an old worker may still send, is an
# unknown_table dead letter.
HANDOFF_TABLES: dict[str, tuple[Column, ...]] = {
    "events_raw": EVENTS_RAW,
    "dead_letters": DEAD_LETTERS,
    "alert_deliveries": ALERT_DELIVERIES,
}

TABLES: dict[str, tuple[Column, ...]] = {**HANDOFF_TABLES, "sink_offsets": SINK_OFFSETS}
