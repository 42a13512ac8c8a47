"""The worker's batch figures reach the Prometheus registry once per batch, by topic and code."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any, cast

from faust.types import TP
from prometheus_client import REGISTRY

from pulse.streams.batch import BatchSummary
from pulse.streams.deadletter import DeadLetter, send_dead_letters
from pulse.streams.handoff import RowsHandoff
from pulse.streams.source import SourceRecord
from pulse.streams.transport import SourceBatch
from pulse.streams.worker_metrics import observe_batch


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class QueuedHandoff:
    """Keeps what the worker would send."""

    def __init__(self) -> None:
        self.raw: list[str] = []
        self.rows: dict[str, list[dict[str, Any]]] = {}

    def send_raw(self, topic: str, key: bytes | None, value: bytes, headers: Any) -> None:
        self.raw.append(topic)

    def send_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        self.rows.setdefault(table, []).extend(rows)


def test_a_processed_batch_moves_accepted_duplicates_latency_and_lag() -> None:
    """Counts come from the batch's summary; lag is the high watermark minus the next offset."""
    topic = f"t{uuid.uuid4().hex[:8]}.events.web"
    records = [SimpleNamespace(offset=offset) for offset in range(10, 20)]
    batch = SourceBatch(topic, 2, records, generation_id=1)
    latency_count = sample("pulse_worker_batch_duration_seconds_count")

    lag = {"group": "g1", "topic": topic, "partition": "2"}

    observe_batch("g1", batch, BatchSummary(7, 2, 1, 30), 0.2, {TP(topic, 2): 26})
    assert sample("pulse_consumer_lag_messages", **lag) == 6  # 26 - 20, the offset after 19
    observe_batch("g1", batch, BatchSummary(1, 0, 0, 4), 0.1, {TP(topic, 2): 20})

    assert sample("pulse_worker_events_accepted_total", topic=topic) == 8
    assert sample("pulse_worker_duplicates_dropped_total", topic=topic) == 2
    assert sample("pulse_worker_batch_duration_seconds_count") == latency_count + 2
    assert sample("pulse_consumer_lag_messages", **lag) == 0


def test_dead_letters_are_counted_by_source_topic_and_code() -> None:
    """Three letters of two codes add 2 and 1 to their (topic, code) series."""
    topic = f"t{uuid.uuid4().hex[:8]}.events.conversations"
    source = SourceRecord(topic, 0, 5, 1_700_000_000_000)
    letters = [
        DeadLetter(source, None, b"x", "decode_error", "", "bad bytes"),
        DeadLetter(source, None, b"y", "decode_error", "", "bad bytes"),
        DeadLetter(source, None, b"z", "contract_error", "score", "out of range"),
    ]
    handoff = QueuedHandoff()

    send_dead_letters(cast(RowsHandoff, handoff), letters)

    assert sample("pulse_dead_letters_total", topic=topic, code="decode_error") == 2
    assert sample("pulse_dead_letters_total", topic=topic, code="contract_error") == 1
    assert handoff.raw == [f"{topic}.dlq"] * 3
    assert len(handoff.rows["dead_letters"]) == 3
