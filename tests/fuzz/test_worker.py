"""Thousands of bad messages through one running `pulse worker` and `pulse serve`.

Each test publishes its bad input in bulk, interleaved with good events, to the real Kafka, lets
the real processes catch up, and then asserts: both processes are alive, every bad message is a
dead letter (a DLQ message and a ``dead_letters`` row, each with a code and a reason), every bad
hand-off message is a clear error, and the good events' stored figures are what they alone give.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from pulse.settings import Settings
from tests.fuzz import strategies as s
from tests.fuzz.pipeline import (
    PRODUCER_MAX_BYTES,
    FuzzRun,
    dumps,
    expected_days,
    good_events,
    letter_headers,
)

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

MALFORMED_MESSAGES = 6_000
BAD_INSTANTS = 400
GOOD_EVENTS = 300


def bad_handoff_messages() -> list[tuple[bytes | None, bytes | None]]:
    """``pulse.rows`` messages the sink cannot read: no table (or a retired one), not JSON, not an
    array."""
    values = [b"", b"not json", b"{", dumps({"a": 1}), dumps(5), dumps("rows"), b"\xff\xfe"]
    keys: list[bytes | None] = [b"events_raw", b"dead_letters"]
    out: list[tuple[bytes | None, bytes | None]] = [(k, v) for k in keys for v in values]
    unknown = (None, b"", b"nope", b"\xff", b"events_raw; DROP TABLE", b"messaging_counters")
    out += [(key, dumps([])) for key in unknown]
    return out


def bad_rows(now_ms: int) -> list[list[Any]]:
    """Hand-off ``events_raw`` arrays of one row the table cannot hold (each a message)."""
    base = {
        "tenant_id": "fuzz-sink",
        "event_type": "message.sent",
        "occurred_at": now_ms,
        "source_topic": "fuzz",
        "source_partition": 0,
        "source_offset": 0,
        "ingested_at": now_ms,
    }
    breaks: list[tuple[str, Any]] = [
        ("occurred_at", s.YEAR_2350_MS),
        ("occurred_at", now_ms * 1000),
        ("occurred_at", 2**63),
        ("occurred_at", "2025-01-01"),
        ("event_id", 12345),
        ("tenant_id", None),
        ("source_partition", "x"),
        ("attributes", [1]),
        ("tags", {"a": 1}),
        ("score", 2**40),
        ("dnt", "yes"),
        ("schema_version", -5),
    ]
    rows: list[list[Any]] = [[{**base, "event_id": str(uuid.uuid4()), k: v}] for k, v in breaks]
    return [*rows, [5], [None], [[]]]


def publish_to_rows(run: FuzzRun, messages: list[tuple[bytes | None, bytes | None]]) -> None:
    producer = Producer(
        {
            "bootstrap.servers": run.pipeline.settings.kafka.bootstrap_servers,
            "message.max.bytes": PRODUCER_MAX_BYTES,
        }
    )
    for key, value in messages:
        producer.produce(run.pipeline.settings.topic("rows"), value=value, key=key)
    assert producer.flush(60) == 0


def assert_dead_letters(run: FuzzRun, expected: int) -> None:
    """The DLQ topics hold ``expected`` letters, each with a code and a reason."""
    letters = run.dlq_letters()
    headers = [letter_headers(m) for m in letters]
    assert len(letters) == expected
    assert all(h.get("pulse.error.code") and h.get("pulse.error.reason") for h in headers)


def test_malformed_messages_are_dead_letters_and_good_data_is_unchanged(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """6,000 garbage, truncated, re-framed and contract-breaking messages, and bad hand-off
    messages: processes alive, one dead letter each, one logged error per hand-off message."""
    now_ms = int(time.time() * 1000)
    bad: list[bytes | None] = [
        *s.malformed_messages(now_ms, MALFORMED_MESSAGES),
        *s.corpus_messages(),
    ]
    bad.append(None)  # a tombstone
    handoff = bad_handoff_messages()
    run = FuzzRun.start(settings, tmp_path, good_events(GOOD_EVENTS, now_ms))
    try:
        run.publish(bad)
        publish_to_rows(run, handoff)
        run.run_until_caught_up()
        assert_dead_letters(run, len(bad))
        assert run.api_days() == expected_days(run.good)
    finally:
        run.stop()
    raw, letters = run.stored()
    run.assert_good_data_unchanged(raw)
    assert all(row["code"] and row["reason"] for row in letters)
    # A hand-off message the sink cannot read is either a dead_letters row or a logged error.
    from_sink = len(letters) - len(bad)
    logged = len(re.findall("bad hand-off message", run.pipeline.serve.log.read_text()))
    assert from_sink >= 0
    assert from_sink + logged == len(handoff)


def test_out_of_range_instants_and_huge_values_are_dead_letters(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """Micro/nano/negative/future instants, 1 MB strings, 100k-entry maps and arrays, and rows
    the sink cannot store: processes alive, each a dead letter, good data unchanged."""
    now_ms = int(time.time() * 1000)
    bad: list[bytes | None] = [
        *s.draw_many(s.instant_breaches(now_ms), BAD_INSTANTS),
        *s.huge_messages(now_ms),
    ]
    rows = bad_rows(now_ms)
    run = FuzzRun.start(settings, tmp_path, good_events(GOOD_EVENTS, now_ms))
    try:
        run.publish(bad)
        publish_to_rows(run, [(b"events_raw", dumps(r)) for r in rows])
        run.run_until_caught_up()
        assert_dead_letters(run, len(bad))
        assert run.api_days() == expected_days(run.good)
    finally:
        run.stop()
    raw, letters = run.stored()
    run.assert_good_data_unchanged(raw)
    assert len(letters) == len(bad) + len(rows)
    assert all(row["code"] and row["reason"] for row in letters)
