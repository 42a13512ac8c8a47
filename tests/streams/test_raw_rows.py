"""The process stage: an accepted event becomes its raw row, with privacy and its coordinates."""

from __future__ import annotations

import uuid
from typing import Any

from pulse.streams.privacy import anonymize_ip
from pulse.streams.raw_rows import to_raw_row
from pulse.streams.source import SourceRecord

T0 = 1_730_592_000_000


def event(event_type: str, at: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": "t1",
        "event_type": event_type,
        "occurred_at": at,
        "schema_version": 1,
        **fields,
    }


def test_raw_row_anonymizes_ip_and_drops_visitor_under_dnt() -> None:
    """A dnt web event keeps its row but stores no visitor and only a truncated IP."""
    e = event("web.page_view", T0, visitor_id="v1", ip="203.0.113.77", dnt=True, url="/a")
    row = to_raw_row(e, SourceRecord("p.events.web", 3, 41, T0 + 5))
    assert "visitor_id" not in row  # the sink stores the column default, ""
    assert row["ip"] == "203.0.113.0"
    assert row["url"] == "/a" and "referrer" not in row and "score" not in row
    assert (row["source_topic"], row["source_partition"], row["source_offset"]) == (
        "p.events.web",
        3,
        41,
    )
    assert row["ingested_at"] == T0 + 5  # the broker's timestamp: a replay gives the same row


def test_ip_anonymization_of_both_families() -> None:
    """IPv4 loses its last octet, IPv6 its last 80 bits, garbage is not stored."""
    assert anonymize_ip("192.168.1.254") == "192.168.1.0"
    assert anonymize_ip("2001:db8:85a3:1234:5678:8a2e:370:7334") == "2001:db8:85a3::"
    assert anonymize_ip("not an ip") == ""
