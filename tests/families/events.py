"""Helpdesk events as ``events_raw`` rows, and a migrated chdb to hold them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest

from pulse.families.registry import DERIVATIONS
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator

COLUMNS = [
    "tenant_id",
    "event_id",
    "event_type",
    "occurred_at",
    "channel",
    "sender_type",
    "conversation_id",
    "agent_id",
    "org_unit",
    "priority",
    "score",
    "source_topic",
    "source_partition",
    "source_offset",
    "ingested_at",
]
_IDS = itertools.count(1)


def ms(text: str) -> int:
    """An ISO-8601 instant with its offset, in UTC milliseconds."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def event(
    kind: str, conversation: str, at: str | int, tenant: str = "acme", **fields: Any
) -> dict[str, Any]:
    """One ``events_raw`` row of type ``kind``; ``at`` is ISO-8601 or UTC ms."""
    instant = ms(at) if isinstance(at, str) else at
    row: dict[str, Any] = {
        "tenant_id": tenant,
        "event_id": fields.pop("event_id", f"e{next(_IDS):06d}"),
        "event_type": kind,
        "occurred_at": instant,
        "channel": "whatsapp",
        "sender_type": "",
        "conversation_id": conversation,
        "agent_id": "",
        "org_unit": "",
        "priority": "",
        "score": None,
        "source_topic": "pulse.events.conversations",
        "source_partition": 0,
        "source_offset": 0,
        "ingested_at": instant,
    }
    row.update(fields)
    return row


def created(conversation: str, at: str | int, **fields: Any) -> dict[str, Any]:
    return event("conversation.created", conversation, at, **fields)


def reply(conversation: str, at: str | int, sender: str = "agent", **fields: Any) -> dict[str, Any]:
    return event("message.sent", conversation, at, sender_type=sender, **fields)


def insert_raw(db: ClickHouse, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``events_raw`` as one block, refreshing nothing."""
    db.insert("events_raw", rows, COLUMNS)


def store(db: ClickHouse, rows: Sequence[dict[str, Any]], columns: Sequence[str] = COLUMNS) -> None:
    """Insert ``rows`` (their ``columns``) into ``events_raw`` as one block and refresh what
    they touched, as the sink does."""
    db.insert("events_raw", list(rows), list(columns))
    raw = {column: [row[column] for row in rows] for column in columns}
    for derivation in DERIVATIONS:
        derivation.refresh(db, derivation.touched(raw))


@pytest.fixture
def db(settings: Settings) -> Iterator[ClickHouse]:
    """The test's own chdb with every migration applied."""
    client = connect(settings.clickhouse)
    try:
        Migrator(client, settings.clickhouse.database).up()
        yield client
    finally:
        client.close()
