"""The whole spine on real Kafka, ClickHouse (chdb) and Redis, checked against a recomputation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pulse.settings import Settings
from tests.e2e.harness import Pipeline, free_port
from tests.e2e.scenario import (
    assert_metrics_match,
    dead_letters,
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


def test_graphql_equals_a_recomputation_of_the_deduplicated_input(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """10k+ messy events for 3 tenants give exactly the counts and FRT METRICS.md defines."""
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
        letters = dead_letters(pipeline)
        assert len(letters) == invalid
        assert all(dict(m.headers() or []).get("pulse.error.reason") for m in letters)
    finally:
        pipeline.stop()
