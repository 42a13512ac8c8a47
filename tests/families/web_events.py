"""Web events as ``events_raw`` rows, stored as the sink stores them."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from pulse.families.registry import DERIVATIONS
from pulse.sinks.clickhouse import ClickHouse

COLUMNS = [
    "tenant_id",
    "event_id",
    "event_type",
    "occurred_at",
    "name",
    # read by the other families' derivations, as in every block the sink sees
    "conversation_id",
    "sender_type",
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
    "ip",
    "dnt",
    "source_topic",
    "source_partition",
    "source_offset",
    "ingested_at",
]
_IDS = itertools.count(1)


def ms(text: str) -> int:
    """An ISO-8601 instant with its offset, in UTC milliseconds."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def web(
    kind: str, visitor: str, at: str | int, tenant: str = "acme", **fields: Any
) -> dict[str, Any]:
    """One ``events_raw`` row of ``web.<kind>``; ``at`` is ISO-8601 or UTC ms."""
    instant = ms(at) if isinstance(at, str) else at
    row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    row.update(
        tenant_id=tenant,
        event_id=fields.pop("event_id", f"w{next(_IDS):07d}"),
        event_type=f"web.{kind}",
        occurred_at=instant,
        visitor_id=visitor,
        url="/",
        dnt=None,
        source_topic="pulse.events.web",
        source_partition=0,
        source_offset=0,
        ingested_at=instant,
    )
    row.update(fields)
    return row


def view(visitor: str, at: str | int, url: str = "/", **fields: Any) -> dict[str, Any]:
    return web("page_view", visitor, at, url=url, **fields)


def action(visitor: str, at: str | int, name: str, **fields: Any) -> dict[str, Any]:
    return web("event", visitor, at, name=name, **fields)


def store_web(db: ClickHouse, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``events_raw`` as one block and refresh what they touched, as the
    sink does."""
    db.insert("events_raw", rows, COLUMNS)
    raw = {column: [row[column] for row in rows] for column in COLUMNS}
    for derivation in DERIVATIONS:
        derivation.refresh(db, derivation.touched(raw))
