"""Exactly once under SIGKILL: the worker dies at random points and the totals stay exact."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from tests.e2e.harness import Pipeline
from tests.e2e.oracle import parse_instant
from tests.e2e.scenario import assert_metrics_match, prepare, simulation
from tests.e2e.test_pipeline import e2e_settings

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]


def kill_while_busy(pipeline: Pipeline, rng: random.Random, sink: bool) -> None:
    """SIGKILL a process at a random moment once the worker is seen making progress."""
    inputs = pipeline.topics()
    group = pipeline.settings.stream.app_id
    before = pipeline.lag(group, inputs)
    deadline = time.monotonic() + 120
    while pipeline.lag(group, inputs) == before and before > 0 and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(rng.uniform(0, 1.5))
    process = pipeline.serve if sink else pipeline.worker
    process.kill()
    process.start()
    if sink:
        pipeline.wait_api()


def test_sigkilled_worker_and_sink_lose_nothing_and_count_nothing_twice(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """Three SIGKILLs of the worker and one of the sink leave raw rows and aggregates exact."""
    settings = e2e_settings(settings)
    pipeline = Pipeline(settings, tmp_path)
    sim = simulation(conversations=600, seed=23)
    events, expected = prepare(pipeline, tmp_path, sim)
    rng = random.Random(5)
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        pipeline.wait_api()
        for round_ in range(4):
            kill_while_busy(pipeline, rng, sink=round_ == 2)
        pipeline.wait_caught_up()
        assert_metrics_match(pipeline, expected, sim)
    finally:
        pipeline.stop()

    distinct = {(str(e["tenant_id"]), str(e["event_id"])) for e in events}
    client = connect(settings.clickhouse)
    try:
        rows = client.query(
            "SELECT tenant_id, toString(event_id) AS event_id,"
            " toUnixTimestamp64Milli(occurred_at) AS at"
            f" FROM {settings.clickhouse.database}.events_raw FINAL"
        )
    finally:
        client.close()
    stored = {(r["tenant_id"], r["event_id"]) for r in rows}
    assert len(rows) == len(stored), "a raw event is stored twice"
    assert stored == distinct
    first_time = {}
    for e in events:
        first_time.setdefault((str(e["tenant_id"]), str(e["event_id"])), e["occurred_at"])
    for r in rows:
        want = parse_instant(str(first_time[(r["tenant_id"], r["event_id"])]))
        assert int(want.timestamp() * 1000) == r["at"]
