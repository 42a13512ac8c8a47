"""Exactly once under SIGKILL at the named fault points (pulse/faults.py), mid-stream.

Each run kills a process *at* a point between two steps of the commit order (the marker proves it
got there), restarts it, and ends with raw rows equal to the deduplicated input, and their counts
per tenant, type and hour (computed by ClickHouse from ``events_raw FINAL``) equal to a plain
recount, and the messaging figures GraphQL serves (computed by ClickHouse from the raw rows)
equal the independent recomputation of ``tests/e2e/oracle.py``.
"""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from pulse.faults import (
    SINK_AFTER_INSERT,
    SINK_AFTER_OFFSETS_SAVED,
    WORKER_AFTER_CHANGELOG_ACK,
    WORKER_AFTER_HANDOFF_FLUSH,
)
from pulse.settings import Settings
from tests.e2e.harness import Pipeline, Process, fault_env, free_port
from tests.e2e.scenario import (
    assert_metrics_match,
    assert_raw_counts_match,
    assert_raw_rows_exact,
    declare,
    prepare,
    publish_in_parts,
    simulation,
)
from tests.e2e.test_pipeline import e2e_settings

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

KILLED = -signal.SIGKILL
DEATH_TIMEOUT_SECONDS = 180.0
PUBLISH_PARTS = 8


def crash_settings(settings: Settings) -> Settings:
    """Small worker and sink batches, so a run of ~10k events is dozens of batches of each."""
    s = e2e_settings(settings)
    return replace(
        s,
        stream=replace(s.stream, batch_events=300),
        sink=replace(s.sink, batch_rows=600, batch_seconds=0.2),
    )


def assert_killed_at(process: Process, point: str, marker: Path) -> None:
    """``process`` died of SIGKILL, having reached ``point`` (and nothing else fired)."""
    code = process.wait_exit(DEATH_TIMEOUT_SECONDS)
    assert code == KILLED, f"{process.name} exited with {code}, not by SIGKILL:\n{process.tail()}"
    assert marker.read_text() == point + "\n"


@pytest.mark.parametrize(
    ("point", "after"),
    [
        (WORKER_AFTER_CHANGELOG_ACK, 4),
        (WORKER_AFTER_HANDOFF_FLUSH, 5),
        # A sink flush also refreshes the slots its raw rows touched, so it takes longer and a
        # catching-up sink gathers the ~10k events in a few flushes: kill early in them.
        (SINK_AFTER_INSERT, 2),
        (SINK_AFTER_OFFSETS_SAVED, 2),
    ],
)
def test_a_sigkill_at_a_fault_point_loses_nothing_and_counts_nothing_twice(
    point: str, after: int, settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """Killed at the point's n-th hit under load and restarted, raw rows and figures end exact."""
    pipeline = Pipeline(crash_settings(settings), tmp_path)
    sim = simulation(seed=29)
    events, expected = prepare(pipeline, tmp_path, sim)
    victim = pipeline.worker if point.startswith("worker.") else pipeline.serve
    marker = tmp_path / "fault.marker"
    fault = fault_env(point, after, marker)
    try:
        pipeline.serve.start(fault if victim is pipeline.serve else None)
        # The sink consumes before the first row arrives: a worker that handed off everything
        # before it started would leave it one big flush, and its fault point unhit.
        pipeline.wait_api()
        pipeline.worker.start(fault if victim is pipeline.worker else None)
        assert_killed_at(victim, point, marker)
        group, topics = (
            (pipeline.settings.stream.app_id, pipeline.topics())
            if victim is pipeline.worker
            else (pipeline.settings.sink.group_id, [pipeline.settings.topic("rows")])
        )
        assert pipeline.lag(group, topics) > 0, "the kill landed after the work was done"
        victim.start()
        pipeline.wait_api()
        pipeline.wait_caught_up()
        assert_metrics_match(pipeline, expected, sim)
    finally:
        pipeline.stop()
    assert_raw_rows_exact(pipeline.settings, events)
    assert_raw_counts_match(pipeline.settings, events)


def test_a_worker_killed_mid_batch_beside_another_loses_nothing(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """Two workers share the partitions; one is SIGKILLed mid-batch, the other takes over: exact."""
    base = crash_settings(settings)
    first = replace(base, stream=replace(base.stream, instance_id=f"{base.stream.app_id}-a"))
    pipeline = Pipeline(first, tmp_path)
    second_stream = replace(
        base.stream,
        instance_id=f"{base.stream.app_id}-b",
        web_port=free_port(),
        data_dir=tmp_path / "faust-b",
    )
    survivor = Process(
        "worker-b", ["worker"], replace(base, stream=second_stream), tmp_path / "worker-b.log"
    )
    marker = tmp_path / "fault.marker"
    sim = simulation(conversations=450, seed=31)
    declare(pipeline)
    try:
        pipeline.serve.start()
        pipeline.worker.start(fault_env(WORKER_AFTER_HANDOFF_FLUSH, 3, marker))
        survivor.start()
        pipeline.wait_api()
        pipeline.wait_members(base.stream.app_id, 2)
        # Input keeps arriving until after the dead worker's session expires (6 s), so the
        # survivor is mid-stream, with processed but uncommitted batches, when the group
        # rebalances and moves the dead worker's partitions to it.
        with ThreadPoolExecutor(1) as pool:
            published = pool.submit(publish_in_parts, pipeline, tmp_path, sim, PUBLISH_PARTS)
            assert_killed_at(pipeline.worker, WORKER_AFTER_HANDOFF_FLUSH, marker)
            events, expected = published.result()
        pipeline.wait_caught_up(processes=[survivor, pipeline.serve])
        # The figures come from ClickHouse's raw rows (messaging slots, helpdesk facts), which
        # hold every event exactly once.
        assert_metrics_match(pipeline, expected, sim)
    finally:
        survivor.stop()
        pipeline.stop()
    assert_raw_rows_exact(pipeline.settings, events)
    assert_raw_counts_match(pipeline.settings, events)
