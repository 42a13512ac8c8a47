"""The whole spine on real Kafka, ClickHouse (chdb) and Redis, checked against a recomputation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pulse.settings import Settings
from tests.e2e.harness import Pipeline, free_port
from tests.e2e.oracle import recompute
from tests.e2e.scenario import (
    ZONES,
    assert_metrics_match,
    assert_old_events_counted,
    dead_letters,
    move_tenant,
    prepare,
    publish_invalid_messages,
    simulation,
)

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]


def e2e_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        api=replace(settings.api, port=free_port(), jwt_secret="e2e-secret-" + "x" * 32),
        stream=replace(settings.stream, web_port=free_port()),
    )


def assert_bucket_limit_refused(pipeline: Pipeline) -> None:
    """Too many hour buckets: an error naming the limit and a coarser granularity."""
    limit = pipeline.settings.api.max_buckets
    query = (
        '{ messagingMetrics(from: "2000-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z",'
        " granularity: HOUR) { timeZone } }"
    )
    body = pipeline.graphql("acme", query, {})
    (error,) = body["errors"]
    assert str(limit) in error["message"], error
    assert "DAY" in error["extensions"]["suggestion"], error


def test_graphql_equals_a_recomputation_of_the_deduplicated_input(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """10k+ messy events for 3 tenants give exactly the counts and FRT METRICS.md defines, in
    every bucket of the grid (empty ones zeros and nulls); old events land in their month; a
    zone change after the events were stored re-buckets their history; a range over the bucket
    limit is refused naming it."""
    pipeline = Pipeline(e2e_settings(settings), tmp_path)
    sim = simulation()
    events, expected = prepare(pipeline, tmp_path, sim)
    assert len(events) >= 10_000
    invalid = publish_invalid_messages(pipeline)
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        pipeline.wait_api()
        pipeline.wait_caught_up()
        assert_metrics_match(pipeline, expected, sim)
        assert_old_events_counted(pipeline, expected, sim)
        assert_bucket_limit_refused(pipeline)
        move_tenant(pipeline, "acme", "Asia/Tokyo")
        moved = recompute(events, {**ZONES, "acme": "Asia/Tokyo"})
        assert_metrics_match(pipeline, moved, sim, tenants=["acme"], granularities=["hour", "day"])
        letters = dead_letters(pipeline)
        assert len(letters) == invalid
        assert all(dict(m.headers() or []).get("pulse.error.reason") for m in letters)
    finally:
        pipeline.stop()
