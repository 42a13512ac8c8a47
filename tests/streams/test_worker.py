"""The worker on the real broker, as a subprocess: deduplicated raw rows and dead letters only."""

from __future__ import annotations

import json
import random
import signal
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from pulse.settings import Settings
from tests.streams.worker_run import (
    T0,
    RowsReader,
    Worker,
    ev,
    prepare_topics,
    produce,
    rejected,
    worker_settings,
    workload,
)

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]

GARBAGE = b"\x00not avro at all"


def _run_and_check(settings: Settings, tmp_path: Path, conversations: int, kill: bool) -> None:
    events = workload(conversations)
    duplicates = random.Random(7).sample(events, len(events) // 10)
    prepare_topics(settings)
    produce(settings, events + duplicates + rejected(), [GARBAGE])
    unique = {e["event_id"] for e in events}

    worker = Worker(settings, tmp_path / "worker.log")
    reader = RowsReader(settings)
    try:
        worker.start()
        if kill:
            reader.wait_for(worker, lambda r: len(r.rows.get("events_raw", [])) > 0)
            assert worker.signal(signal.SIGKILL) == -signal.SIGKILL
            worker.start()
        reader.wait_for(
            worker,
            lambda r: (
                {row["event_id"] for row in r.rows.get("events_raw", [])} >= unique
                and len(r.dlq) >= 1
            ),
        )
        reader.poll(3.0)  # anything still in flight would show up now
        assert worker.signal(signal.SIGTERM) == 0
    finally:
        if worker.popen and worker.popen.poll() is None:
            worker.popen.kill()
        reader.close()

    raw = reader.rows["events_raw"]
    assert {r["event_id"] for r in raw} == unique
    if not kill:
        assert len(raw) == len(unique)  # duplicates dropped, nothing replayed
    assert all(r.get("ip", "") in ("", "198.51.100.0") for r in raw)
    assert all(r.get("visitor_id", "") == "" for r in raw if r.get("dnt") is True)
    assert set(reader.rows) == {"events_raw", "dead_letters"}  # no figures: ClickHouse's job
    letters = {(m.partition(), m.offset()): m for m in reader.dlq}.values()
    codes = {dict(m.headers())["pulse.error.code"]: m for m in letters}
    assert sorted(codes) == [b"contract_error", b"decode_error", b"from_future"]
    assert codes[b"decode_error"].value() == GARBAGE
    headers = dict(codes[b"contract_error"].headers())
    assert headers["pulse.error.field"] == b"score"
    assert headers["pulse.source.topic"] == settings.topic("events.conversations").encode()
    dead = {r["code"] for r in reader.rows["dead_letters"]}
    assert dead == {"decode_error", "contract_error", "from_future", "too_old"}


@pytest.mark.kafka
def test_worker_counts_each_event_once(settings: Settings, kafka: str, tmp_path: Path) -> None:
    """A few hundred events with duplicates and bad messages give exact raw rows and letters,
    also when each fetched chunk is split into many small batches."""
    _run_and_check(
        worker_settings(settings, batch_events=50), tmp_path, conversations=40, kill=False
    )


@pytest.mark.kafka
def test_worker_survives_sigkill(settings: Settings, kafka: str, tmp_path: Path) -> None:
    """SIGKILL mid-stream and a restart lose no raw row (replays repeat identical rows)."""
    _run_and_check(
        worker_settings(settings, fetch_bytes=4096), tmp_path, conversations=150, kill=True
    )


def changelog(settings: Settings, table: str) -> list[tuple[str, bytes | None]]:
    """Every committed record of a worker table's changelog: (key, value or None)."""
    topic = f"{settings.stream.app_id}-{table}-changelog"
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p))[1] for p in partitions}
    consumer.assign([TopicPartition(topic, p, 0) for p, end in ends.items() if end > 0])
    records: list[tuple[str, bytes | None]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            if records:
                break
            continue
        if msg.error() is None:
            records.append((json.loads(msg.key() or b"null"), msg.value()))
    consumer.close()
    return records


@pytest.mark.kafka
def test_a_copy_past_the_dedup_horizon_is_a_row_again_and_its_segment_a_tombstone(
    settings: Settings, kafka: str, tmp_path: Path
) -> None:
    """With a 2 s horizon a copy sent 3 s later is accepted again, and the first batch's
    segment is deleted from the changelog in a committed transaction."""
    settings = worker_settings(settings, dedup_horizon_seconds=2)
    event = ev("t1", "contact.created", T0, contact_id="k-1")
    prepare_topics(settings)
    produce(settings, [event], [])
    worker = Worker(settings, tmp_path / "worker.log")
    reader = RowsReader(settings)
    try:
        worker.start()
        reader.wait_for(worker, lambda r: len(r.rows.get("events_raw", [])) == 1)
        time.sleep(3)
        produce(settings, [event], [])
        reader.wait_for(worker, lambda r: len(r.rows.get("events_raw", [])) == 2)
        assert worker.signal(signal.SIGTERM) == 0
    finally:
        if worker.popen and worker.popen.poll() is None:
            worker.popen.kill()
        reader.close()

    records = changelog(settings, "seen")
    written = [key for key, value in records if value is not None]
    assert len(written) == 2
    assert (written[0], None) in records  # the first segment, tombstoned
    assert records.index((written[0], None)) > 0
