"""Events of two tenants sharing subject ids, and figures recomputed from them by hand.

Contact ``k1`` of the first tenant has messages (one campaign only they received), a whole
conversation, a CSAT answer in another contact's conversation and automation runs; visitor
``v1`` has page views. The second tenant holds the same ids, which an export or an erasure of
the first must never touch. Expected figures are plain Python over the rows kept.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from statistics import mean
from typing import Any

from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import store as store_events

Row = dict[str, Any]
MINUTE = 60_000
HOUR = 60 * MINUTE
COLUMNS = (
    "tenant_id",
    "event_id",
    "event_type",
    "occurred_at",
    "channel",
    "sender_type",
    "conversation_id",
    "contact_id",
    "agent_id",
    "campaign_id",
    "flow_id",
    "score",
    "visitor_id",
    "url",
    "source_topic",
    "source_partition",
    "source_offset",
    "ingested_at",
)
_IDS = itertools.count(1)


def ev(tenant: str, kind: str, at: int, **fields: Any) -> Row:
    row: Row = dict.fromkeys(COLUMNS, "")
    row.update(
        tenant_id=tenant,
        event_id=f"{tenant}-e{next(_IDS):05d}",
        event_type=kind,
        occurred_at=at,
        channel="whatsapp",
        score=None,
        source_topic="pulse.events",
        source_partition=0,
        source_offset=0,
        ingested_at=at,
    )
    row.update(fields)
    return row


def now_ms() -> int:
    """A recent instant on a whole minute, so recent slots are inside the realtime window."""
    return int(time.time() * 1000) // MINUTE * MINUTE


def tenant_events(tenant: str, now: int) -> list[Row]:
    """One tenant's events: messages in the last hour, conversations and automation of the
    last day, page views."""
    rows: list[Row] = []
    contacts = ("k1", "k2", "k3")
    for i in range(45):
        contact = contacts[i % 3]
        campaign = "only-k1" if contact == "k1" and i % 2 else "shared"
        kind = ("message.sent", "message.delivered", "message.read")[i % 3 if i % 5 else 0]
        channel = "sms" if i % 4 == 0 else "whatsapp"
        rows.append(
            ev(
                tenant,
                kind,
                now - i * 83_000 - 1,
                contact_id=contact,
                channel=channel,
                campaign_id=campaign,
            )
        )
    for j, contact in enumerate(("k1", "k2", "k3", "k1", "k2")):
        conv, start = f"c{j}", now - 20 * HOUR + j * HOUR
        common = {"conversation_id": conv, "contact_id": contact}
        rows.append(ev(tenant, "conversation.created", start, **common))
        rows.append(
            ev(
                tenant,
                "message.sent",
                start + (j + 1) * 5 * MINUTE,
                sender_type="agent",
                agent_id="a1",
                **common,
            )
        )
        rows.append(ev(tenant, "conversation.resolved", start + (j + 2) * 10 * MINUTE, **common))
        # Contact k1 answers the survey of k2's first conversation too.
        answerer = "k1" if conv == "c1" else contact
        rows.append(
            ev(
                tenant,
                "csat.submitted",
                start + 2 * HOUR,
                conversation_id=conv,
                contact_id=answerer,
                score=2 + j % 4,
            )
        )
    for n, contact in enumerate(("k1", "k2", "k1", "k3", "k1")):
        kind = "automation.failed" if n % 2 else "automation.executed"
        rows.append(ev(tenant, kind, now - 3 * HOUR + n * MINUTE, flow_id="f1", contact_id=contact))
    for n, visitor in enumerate(("v1", "v2", "v1", "v3")):
        rows.append(
            ev(
                tenant,
                "web.page_view",
                now - 2 * HOUR + n * MINUTE,
                visitor_id=visitor,
                url=f"https://example.com/{n}",
                channel="",
            )
        )
    return rows


def store(db: ClickHouse, rows: Sequence[Row]) -> None:
    """Insert as the sink does: one block, then every derivation's refresh of what it touched."""
    store_events(db, rows, COLUMNS)


def messaging_totals(rows: Iterable[Row], **only: str) -> Counter[str]:
    """Counts of each message type, of the rows carrying every ``only`` value."""
    return Counter(
        r["event_type"].removeprefix("message.")
        for r in rows
        if r["event_type"].startswith("message.") and all(r[k] == v for k, v in only.items())
    )


def helpdesk_totals(rows: Iterable[Row]) -> dict[str, Any]:
    """Created, first responses (and their mean), resolutions (and mean), CSAT count and mean,
    over conversations whose creation is kept; each has one creation, reply and resolution."""
    by_conv: dict[str, dict[str, Row]] = defaultdict(dict)
    csat: list[int] = []
    for r in rows:
        if r["event_type"] == "csat.submitted":
            csat.append(int(r["score"]))
        elif r["conversation_id"]:
            by_conv[r["conversation_id"]][r["event_type"]] = r
    created = [c for c in by_conv.values() if "conversation.created" in c]
    frt = [
        (c["message.sent"]["occurred_at"] - c["conversation.created"]["occurred_at"]) / 1000
        for c in created
        if "message.sent" in c
    ]
    resolution = [
        (c["conversation.resolved"]["occurred_at"] - c["conversation.created"]["occurred_at"])
        / 1000
        for c in created
        if "conversation.resolved" in c
    ]
    return {
        "conversations_created": len(created),
        "first_responses": len(frt),
        "frt_avg_seconds": mean(frt) if frt else None,
        "resolutions": len(resolution),
        "resolution_avg_seconds": mean(resolution) if resolution else None,
        "csat_responses": len(csat),
        "csat_avg": mean(csat) if csat else None,
    }


def automation_totals(rows: Iterable[Row]) -> tuple[int, int]:
    kinds = Counter(r["event_type"] for r in rows)
    return kinds["automation.executed"], kinds["automation.failed"]
