"""The two bad inputs that once got through, each on the real processes.

1. A valid ``message.sent`` whose ``occurred_at`` was in microseconds stopped `pulse worker`
   (``ValueError: year 58881 is out of range`` in the bucketing) and it crash-looped on restart.
2. An event at 2350-01-01 passed `pulse produce` and the worker; the sink logged ``bad row
   skipped … is not a ms`` and committed past it: counted, yet in neither ``events_raw`` nor
   ``dead_letters``.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from pulse.avro.codec import EventEncoder
from pulse.avro.contract import validate
from pulse.settings import Settings
from tests.e2e.harness import pulse
from tests.fuzz.pipeline import FuzzRun, dumps, expected_days, good_events, iso, letter_headers
from tests.fuzz.strategies import CATALOG, YEAR_2350_MS
from tests.fuzz.test_worker import publish_to_rows

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

YEAR_2350 = "2350-01-01T00:00:00Z"


def message_sent(occurred_at: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": "acme",
        "event_type": "message.sent",
        "occurred_at": occurred_at,
        "message_id": "m-bad",
        "channel": "email",
        "direction": "outbound",
        "sender_type": "agent",
    }


def encoded_at(occurred_at_ms: int) -> bytes:
    """A ``message.sent`` that is valid Avro, its instant set below the contract's parser."""
    logical = validate(message_sent(iso(int(time.time() * 1000))))
    return EventEncoder(CATALOG).encode({**logical, "occurred_at": occurred_at_ms})


def occurred_at_letters(run: FuzzRun) -> list[dict[str, str]]:
    headers = [letter_headers(m) for m in run.dlq_letters()]
    return [h for h in headers if h.get("pulse.error.field") == "occurred_at"]


def test_microsecond_instant_is_a_dead_letter_and_the_worker_keeps_running(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """occurred_at in microseconds (year ~58,000) is dead-lettered as from_future, on the
    first run and after a restart; the good events around it are stored as they are."""
    now_ms = int(time.time() * 1000)
    run = FuzzRun.start(settings, tmp_path, good_events(30, now_ms))
    try:
        run.publish([encoded_at(now_ms * 1000)])
        run.run_until_caught_up()
        run.pipeline.worker.kill()
        run.pipeline.worker.start()
        run.pipeline.wait_caught_up()
        (letter,) = occurred_at_letters(run)
        assert letter["pulse.error.code"] == "from_future"
        assert letter["pulse.error.reason"]
        assert run.api_days() == expected_days(run.good)
    finally:
        run.stop()
    raw, letters = run.stored()
    run.assert_good_data_unchanged(raw)
    assert [(r["code"], r["field"]) for r in letters] == [("from_future", "occurred_at")]


def test_year_2350_is_refused_by_produce_dead_lettered_by_worker_and_sink(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """2350-01-01 is a line error of `pulse produce`, a from_future dead letter of the worker,
    and, as a hand-off row the sink cannot store, a dead_letters row: never silently counted."""
    now_ms = int(time.time() * 1000)
    good = good_events(30, now_ms)
    run = FuzzRun.start(settings, tmp_path, good)
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(e) for e in good[:2]] + [json.dumps(message_sent(YEAR_2350))]
    path.write_text("\n".join(lines) + "\n")
    result = pulse(run.pipeline.settings, "produce", "--quiet", str(path), check=False)
    assert result.returncode == 1, result.stderr
    assert "line 3: field occurred_at: from_future" in result.stderr
    assert "Traceback" not in result.stderr
    run.good = good[2:]  # the first two went out through `pulse produce`
    row = {
        "tenant_id": "acme",
        "event_id": str(uuid.uuid4()),
        "event_type": "message.sent",
        "occurred_at": YEAR_2350_MS,
        "source_topic": "fuzz",
        "source_partition": 0,
        "source_offset": 0,
        "ingested_at": now_ms,
    }
    try:
        run.publish([encoded_at(YEAR_2350_MS)])
        run.good = good
        publish_to_rows(run, [(b"events_raw", dumps([row]))])
        run.run_until_caught_up()
        (letter,) = occurred_at_letters(run)
        assert letter["pulse.error.code"] == "from_future"
        assert run.api_days() == expected_days(good)
    finally:
        run.stop()
    raw, letters = run.stored()
    run.assert_good_data_unchanged(raw)
    assert ("from_future", "occurred_at") in {(r["code"], r["field"]) for r in letters}
    assert len(letters) == 2, letters
