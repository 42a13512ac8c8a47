"""The ``events_raw`` row of an accepted event (ARCHITECTURE.md, Row contract)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulse.streams.privacy import anonymize_ip
from pulse.streams.source import SourceRecord

_STRINGS = [
    "channel",
    "direction",
    "sender_type",
    "message_id",
    "conversation_id",
    "contact_id",
    "agent_id",
    "org_unit",
    "campaign_id",
    "workflow_id",
    "sequence_id",
    "template_id",
    "priority",
    "run_id",
    "enrollment_id",
    "flow_id",
    "name",
    "visitor_id",
    "session_id",
    "url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
]
_INTS = ("sequence_step", "score", "step_number")
# Copied as they are when present; the rest of the row is derived.
_COPIED = frozenset(
    ("tenant_id", "event_id", "event_type", "occurred_at", "schema_version", *_STRINGS, *_INTS)
)


def raw_event_row(event: Mapping[str, Any], source: SourceRecord) -> dict[str, Any]:
    """One row per accepted event; IP anonymized, visitor dropped under ``dnt``.

    Absent and empty fields are left out: the sink fills each column's default (ARCHITECTURE.md,
    Row contract), and a row of a dozen keys costs half as much to encode and decode as one of
    forty-five. ``ingested_at`` is the source message's broker timestamp, not the wall clock, so
    a batch replayed after a crash yields byte-identical rows.
    """
    # Most optional fields are None, so that test comes first.
    row = {k: v for k, v in event.items() if v is not None and k in _COPIED and v != ""}
    row["source_topic"] = source.topic
    row["source_partition"] = source.partition
    row["source_offset"] = source.offset
    row["ingested_at"] = source.timestamp_ms
    get = event.get
    ip = get("ip")
    if ip:
        row["ip"] = anonymize_ip(ip)
    dnt = get("dnt")
    if dnt is not None:
        row["dnt"] = dnt
        if dnt is True:
            row.pop("visitor_id", None)
    attributes = get("attributes")
    if attributes:
        row["attributes"] = dict(attributes)
    tags = get("tags")
    if tags:
        row["tags"] = list(tags)
    return row
