"""The ``events_raw`` row of an accepted event (ARCHITECTURE.md, Row contract)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulse.streams.privacy import anonymize_ip
from pulse.streams.source import SourceRecord


def raw_event_row(event: Mapping[str, Any], source: SourceRecord) -> dict[str, Any]:
    """One row per accepted event; IP anonymized, visitor dropped under ``dnt``.

    The row is the decoded event as it is plus its source coordinates: null and empty fields
    get the column default in the sink (ARCHITECTURE.md, Row contract), fields that are no
    column are ignored there, and copying the event whole costs the worker less than leaving
    fields out (the worker's time is the pipeline's limit; the sink has time to spare).
    ``ingested_at`` is the source message's broker timestamp, not the wall clock, so a batch
    replayed after a crash yields byte-identical rows.
    """
    row = {
        **event,
        "source_topic": source.topic,
        "source_partition": source.partition,
        "source_offset": source.offset,
        "ingested_at": source.timestamp_ms,
    }
    ip = row.get("ip")
    if ip:
        row["ip"] = anonymize_ip(ip)
    if row.get("dnt") is True:
        row.pop("visitor_id", None)
    return row
