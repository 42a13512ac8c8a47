"""The sink's Prometheus figures: rows stored and rejected, flush and derive latency, lag."""

from __future__ import annotations

import threading
import time

import pytest
from prometheus_client import REGISTRY

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.sink import SinkRunner
from tests.sinks.kafka_util import create_rows_topic, produce
from tests.sinks.rows import dead_letter, event

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_sink_run_counts_rows_by_table_rejections_by_code_and_sets_lag(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """Stored and rejected rows move their series, each batch of messages times its messaging
    derivation; a read partition's lag reaches 0 while the sink owns it, and its series is
    dropped when the sink lets it go."""
    create_rows_topic(settings)
    produce(
        settings,
        [
            ("events_raw", [event(event_id="a"), event(event_id="b", occurred_at="noon")]),
            ("events_raw", [event(event_id="c")]),
            ("dead_letters", [dead_letter(5)]),
            ("no_such_table", [event(event_id="d")]),
        ],
        partition=1,
    )
    before = {
        "raw": sample("pulse_sink_rows_stored_total", table="events_raw"),
        "letters": sample("pulse_sink_rows_stored_total", table="dead_letters"),
        "bad_row": sample("pulse_sink_rows_rejected_total", table="events_raw", code="bad_row"),
        "unknown": sample("pulse_sink_messages_rejected_total", code="unknown_table"),
        "flushes": sample("pulse_sink_flush_duration_seconds_count"),
        "derives": sample("pulse_sink_derive_duration_seconds_count", derivation="messaging"),
    }

    runner = SinkRunner(settings, migrated)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    lag = {"group": settings.sink.group_id, "topic": settings.topic("rows"), "partition": "1"}
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            runner.stats.messages == 4
            and REGISTRY.get_sample_value("pulse_consumer_lag_messages", lag) == 0
        ):
            time.sleep(0.2)
        assert REGISTRY.get_sample_value("pulse_consumer_lag_messages", lag) == 0
    finally:
        stop.set()
        thread.join(60)

    assert sample("pulse_sink_rows_stored_total", table="events_raw") == before["raw"] + 2
    # The sink's own letters (the bad row's, the unknown table's) come back as dead_letters rows
    # too, maybe before it stops: the series moves by exactly what the table holds.
    [letters] = migrated.query("SELECT count() AS n FROM dead_letters")
    stored_letters = sample("pulse_sink_rows_stored_total", table="dead_letters")
    assert stored_letters - before["letters"] == letters["n"] >= 1
    rejected = sample("pulse_sink_rows_rejected_total", table="events_raw", code="bad_row")
    assert rejected == before["bad_row"] + 1
    unknown = sample("pulse_sink_messages_rejected_total", code="unknown_table")
    assert unknown == before["unknown"] + 1
    flushes = sample("pulse_sink_flush_duration_seconds_count")
    assert flushes == before["flushes"] + runner.stats.batches
    # Every batch holding one of the message rows recomputed its slots once.
    derives = sample("pulse_sink_derive_duration_seconds_count", derivation="messaging")
    assert 1 <= derives - before["derives"] <= 2
    assert REGISTRY.get_sample_value("pulse_consumer_lag_messages", lag) is None
