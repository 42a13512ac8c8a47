"""A dead letter fixed by a setting and replayed twice through the real worker counts once."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pulse.settings import Settings
from tests.e2e.harness import Pipeline, pulse
from tests.streams.worker_run import (
    RowsReader,
    Worker,
    ev,
    latest,
    prepare_topics,
    produce,
    worker_settings,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(180)]

HOUR = 3600
DAY_MS = 24 * HOUR * 1000


def test_a_too_late_event_replayed_twice_after_the_horizon_is_raised_counts_once(
    settings: Settings, kafka: str, tmp_path: Path
) -> None:
    """too_late under a 1 h horizon; after raising it, two replays give one raw row, one count."""
    started = datetime.now(UTC).isoformat()
    strict = worker_settings(settings, late_horizon_seconds=HOUR)
    event = ev(
        "t2",
        "message.sent",
        int(time.time() * 1000) - 2 * DAY_MS,
        message_id="m-late",
        conversation_id="c-late",
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
        assert dict(reader.dlq[0].headers())["pulse.error.code"] == b"too_late"
        assert worker.signal(signal.SIGTERM) == 0

        relaxed = worker_settings(settings, late_horizon_seconds=400 * 24 * HOUR)
        worker = Worker(relaxed, tmp_path / "worker.log")
        worker.start()
        first = pulse(relaxed, "dlq", "replay", "--topic", "events.conversations")
        assert "replayed 1 letter(s); skipped 0 truncated" in first.stdout
        reader.wait_for(worker, lambda r: bool(raw_rows(r, event["event_id"])))
        second = pulse(relaxed, "dlq", "replay", "--code", "too_late", "--since", started)
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
    slices = latest(
        reader.rows["messaging_counters"],
        ("tenant_id", "granularity", "bucket_start", "channel", "slice"),
    )
    hours = [row for row in slices.values() if row["granularity"] == "hour"]
    assert sum(row["sent"] for row in hours) == 1


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
