"""Exactly once across a broker restart under load, on a private broker (tests/e2e/broker.py).

A process may stop loudly when the broker disappears (the worker exits on an infrastructure
error, `pulse serve` when its sink fails); the test restarts it as a supervisor would. What it
must never do is keep running having lost or doubled something.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pulse.settings import Settings
from tests.e2e.broker import LIBS, PrivateBroker
from tests.e2e.harness import Pipeline
from tests.e2e.oracle import recompute
from tests.e2e.scenario import (
    ZONES,
    assert_metrics_match,
    assert_raw_rows_exact,
    declare,
    publish_part,
    simulation,
    split,
)
from tests.e2e.test_fault_points import crash_settings

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

DOWN_SECONDS = 4.0


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A broker of this test's own, stopped at the end whatever happened."""
    if not list(LIBS.glob("kafka_2.13-*.jar")):
        pytest.fail(f"no Kafka jars in {LIBS}; run `make services-up`")
    broker = PrivateBroker(tmp_path / "broker")
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


PARTS = 8


def wait_handing_off(pipeline: Pipeline, timeout: float = 120) -> None:
    """Until the worker has handed off rows, that is committed its first transaction."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pipeline.worker.assert_alive()
        if pipeline.end_offsets([pipeline.settings.topic("rows")]) > 0:
            return
        time.sleep(0.2)
    raise AssertionError("the worker handed nothing off")


def test_a_broker_restart_under_load_loses_nothing_and_counts_nothing_twice(
    settings: Settings, redis_url: str, private_broker: PrivateBroker, tmp_path: Path
) -> None:
    """The broker stops mid-stream and comes back; with exits restarted, the pipeline ends exact."""
    base = crash_settings(settings)
    kafka = replace(base.kafka, bootstrap_servers=private_broker.bootstrap)
    # A commit interval longer than one produce run keeps input uncommitted when the broker stops.
    stream = replace(base.stream, commit_interval_seconds=3.0)
    pipeline = Pipeline(replace(base, kafka=kafka, stream=stream), tmp_path)
    sim = simulation(conversations=600, seed=37)
    events = sim.events()
    parts = split(events, PARTS)
    declare(pipeline)
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        pipeline.wait_api()
        publish_part(pipeline, tmp_path / "events-0.jsonl", parts[0])
        wait_handing_off(pipeline)
        # Parts go in one at a time until one is seen uncommitted: a fast worker may commit a
        # whole part within one interval, and stopping then would prove nothing mid-stream.
        sent = 1
        while pipeline.lag(pipeline.settings.stream.app_id, pipeline.topics()) == 0:
            assert sent < len(parts), "the worker committed every part before the broker stopped"
            publish_part(pipeline, tmp_path / f"events-{sent}.jsonl", parts[sent])
            sent += 1
        private_broker.stop()
        time.sleep(DOWN_SECONDS)
        private_broker.start()
        for n in range(sent, len(parts)):
            publish_part(pipeline, tmp_path / f"events-{n}.jsonl", parts[n])
        exits = pipeline.wait_caught_up(restart=True)
        print("exits during the broker restart:", exits or "none", "; parts before the stop:", sent)
        pipeline.wait_api()
        assert_metrics_match(pipeline, recompute(events, ZONES), sim)
    finally:
        pipeline.stop()
    assert_raw_rows_exact(pipeline.settings, events)
