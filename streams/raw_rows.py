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


def raw_event_row(event: Mapping[str, Any], source: SourceRecord) -> dict[str, Any]:
    """One row per accepted event; IP anonymized, visitor dropped under ``dnt``.

    ``ingested_at`` is the source message's broker timestamp, not the wall clock, so a batch
    replayed after a crash yields byte-identical rows.
    """
    row: dict[str, Any] = {
        "tenant_id": event["tenant_id"],
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "occurred_at": event["occurred_at"],
        "schema_version": event.get("schema_version") or 1,
    }
    for name in _STRINGS:
        row[name] = event.get(name) or ""
    for name in _INTS:
        row[name] = event.get(name)
    dnt = event.get("dnt")
    row["ip"] = anonymize_ip(event.get("ip") or "")
    row["dnt"] = dnt
    if dnt is True:
        row["visitor_id"] = ""
    row["attributes"] = dict(event.get("attributes") or {})
    row["tags"] = list(event.get("tags") or [])
    row["source_topic"] = source.topic
    row["source_partition"] = source.partition
    row["source_offset"] = source.offset
    row["ingested_at"] = source.timestamp_ms
    return row
