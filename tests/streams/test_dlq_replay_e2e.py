"""A dead letter fixed by a setting and replayed twice through the real worker is one raw row."""

from __future__ import annotations

import signal
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pulse.settings import Settings
from tests.e2e.harness import Pipeline, pulse
from tests.streams.worker_run import (
    RowsReader,
    Worker,
    ev,
    prepare_topics,
    produce,
    worker_settings,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(180)]

HOUR = 3600


def with_skew(settings: Settings, seconds: int) -> Settings:
    """The worker's settings, accepting instants up to ``seconds`` past the broker timestamp."""
    worker = worker_settings(settings)
    return replace(worker, contract=replace(worker.contract, future_skew_seconds=seconds))


def test_a_from_future_event_replayed_twice_after_the_bound_is_raised_is_one_raw_row(
    settings: Settings, kafka: str, tmp_path: Path
) -> None:
    """from_future under a 1 min skew; after raising it to a day, two replays give one raw row."""
    started = datetime.now(UTC).isoformat()
    strict = with_skew(settings, 60)
    event = ev(
        "t2",
        "message.sent",
        int(time.time() * 1000) + 2 * HOUR * 1000,
        message_id="m-ahead",
        conversation_id="c-ahead",
        channel="sms",
        direction="outbound",
        sender_type="agent",
    )
    prepare_topics(strict)
    produce(strict, [event], [])
    reader = RowsReader(strict)
    worker = Worker(strict, tmp_path / "worker.log")
    try:
        worker.start()
        reader.wait_for(worker, lambda r: len(r.dlq) == 1)
        assert dict(reader.dlq[0].headers())["pulse.error.code"] == b"from_future"
        assert worker.signal(signal.SIGTERM) == 0

        relaxed = with_skew(settings, 24 * HOUR)
        worker = Worker(relaxed, tmp_path / "worker.log")
        worker.start()
        first = pulse(relaxed, "dlq", "replay", "--topic", "events.conversations")
        assert "replayed 1 letter(s); skipped 0 truncated" in first.stdout
        reader.wait_for(worker, lambda r: bool(raw_rows(r, event["event_id"])))
        second = pulse(relaxed, "dlq", "replay", "--code", "from_future", "--since", started)
        assert "replayed 1 letter(s)" in second.stdout
        wait_committed(relaxed, tmp_path, worker)
        reader.poll(3.0)  # anything still in flight would show up now
        assert worker.signal(signal.SIGTERM) == 0
    finally:
        if worker.popen and worker.popen.poll() is None:
            worker.popen.kill()
        reader.close()

    assert len(raw_rows(reader, event["event_id"])) == 1
    assert len(reader.dlq) == 1  # neither replay was rejected again


def raw_rows(reader: RowsReader, event_id: str) -> list[dict[str, object]]:
    return [row for row in reader.rows.get("events_raw", []) if row["event_id"] == event_id]


def wait_committed(settings: Settings, workdir: Path, worker: Worker) -> None:
    """Until the worker has committed every message of the conversations topic (both replays)."""
    pipeline = Pipeline(settings, workdir)
    topics = [settings.topic("events.conversations")]
    deadline = time.monotonic() + 60
    while pipeline.lag(settings.stream.app_id, topics) > 0:
        worker.assert_alive()
        assert time.monotonic() < deadline, "the worker did not commit the replays"
        time.sleep(0.5)
