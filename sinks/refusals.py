"""The sink's dead letters: a hand-off message or row it cannot store is kept, never skipped.

Each becomes a letter like the worker's (``pulse.streams.deadletter``): the message or row goes
to the hand-off topic's twin ``<rows>.dlq`` with the reason in headers, and its ``dead_letters``
row goes back into the hand-off topic, where the sink stores it like any other row. The runner
flushes them before it records its offsets, so a letter is as durable as the batch it came
from; a batch replayed after a crash sends the same letters again, whose rows collapse (the
table is keyed by source coordinates and row).

The worker admits only events whose rows the sink can store (``tests/sinks/test_storable.py``
proves it), so the worker's figures and the stored rows cannot disagree; these letters are the
net for rows from anywhere else (another producer on the hand-off topic, a version skew).
"""

from __future__ import annotations

from typing import Any

import orjson
from confluent_kafka import Message

from pulse.sinks.errors import BadRowError, SinkError
from pulse.streams.deadletter import DeadLetter
from pulse.streams.source import SourceRecord


def source_of(message: Message) -> SourceRecord:
    """The coordinates of a consumed hand-off message (its broker timestamp as ``failed_at``,
    so a replayed batch yields the same letter)."""
    _, timestamp = message.timestamp()
    return SourceRecord(
        str(message.topic()), int(message.partition() or 0), int(message.offset() or 0), timestamp
    )


def message_letter(message: Message, error: SinkError) -> DeadLetter:
    """The letter of a hand-off message that is no readable array of rows for a known table."""
    return DeadLetter(
        source_of(message),
        message.key(),
        message.value() or b"",
        error.code,
        "",
        error.message,
    )


def row_letters(message: Message, errors: list[BadRowError]) -> list[DeadLetter]:
    """One letter per refused row of a readable hand-off message, holding the row as a
    one-row hand-off message."""
    source = source_of(message)
    return [
        DeadLetter(
            source,
            message.key(),
            _json(error.value),
            error.code,
            str(error.fields.get("column", "")),
            error.message,
            _tenant(error.value),
            int(error.fields.get("row", 0)),
        )
        for error in errors
    ]


def _json(row: Any) -> bytes:
    # A hand-off message of its own (a one-row array), so `pulse dlq replay` can send it back
    # to the hand-off topic once the sink takes it. It came out of JSON, so it goes back in.
    return orjson.dumps([row])


def _tenant(row: Any) -> str:
    tenant = row.get("tenant_id") if isinstance(row, dict) else None
    return tenant if isinstance(tenant, str) else ""
