"""Depth, alias, token and cost limits through the real app: each refusal names its limit and
comes before any ClickHouse read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.graphql.conftest import MemoryStore, graphql, kafka_up, token

pytestmark = [pytest.mark.clickhouse, pytest.mark.redis]

DAY_RANGE = 'from: "2025-03-10T00:00:00Z", to: "2025-03-11T00:00:00Z"'
FIGURES = "sent delivered read failed received"


def metrics(granularity: str) -> str:
    return (
        f"{{ messagingMetrics({DAY_RANGE}, granularity: {granularity}) "
        f"{{ buckets {{ {FIGURES} }} }} }}"
    )


@dataclass
class CountingReader:
    """The test's chdb, counting the reads that reach it."""

    db: ClickHouse
    reads: int = 0

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        self.reads += 1
        return self.db.query(sql, params)


@dataclass
class Limited:
    client: TestClient
    reader: CountingReader
    bearer: str

    def ask(self, query: str) -> dict[str, Any]:
        return graphql(self.client, query, bearer=self.bearer)


@pytest.fixture
def limited(settings: Settings, clickhouse: ClickHouse, redis_url: str) -> Iterator[Limited]:
    """The app with small limits: depth 2, 2 aliases, 60 tokens, cost 100."""
    api = replace(settings.api, max_depth=2, max_aliases=2, max_tokens=60, max_cost=100)
    configured = replace(settings, api=api)
    reader = CountingReader(clickhouse)
    with TestClient(create_app(configured, reader, MemoryStore(), kafka_up)) as client:
        yield Limited(client, reader, token(configured))


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    error: dict[str, Any] = body["errors"][0]
    extensions: dict[str, Any] = error["extensions"]
    return {"message": error["message"], **extensions}


def test_a_query_within_every_limit_is_answered(limited: Limited) -> None:
    """Two day buckets of five figures (cost 15) at depth 2 pass and are answered."""
    body = limited.ask(metrics("DAY"))
    assert "errors" not in body, body
    assert len(body["data"]["messagingMetrics"]["buckets"]) == 1
    assert limited.reader.reads > 0


def test_a_query_too_deep_is_refused_naming_the_limit(limited: Limited) -> None:
    """Depth 3 against a limit of 2: QUERY_TOO_DEEP with the limit and its setting, no read."""
    query = "{ dashboards { widgets { errors { message } } } }"
    found = refusal(limited.ask(query))
    assert found["code"] == "QUERY_TOO_DEEP"
    assert found["limit"] == 2 and found["setting"] == "PULSE_API_MAX_DEPTH"
    assert "2 deep" in found["message"]
    assert limited.reader.reads == 0


def test_too_many_aliases_are_refused_naming_the_limit(limited: Limited) -> None:
    """Three aliases against a limit of 2: TOO_MANY_ALIASES with the limit, no read."""
    query = "{ " + " ".join(f"{a}: realtimeMessaging {{ tenantId }}" for a in "abc") + " }"
    found = refusal(limited.ask(query))
    assert found["code"] == "TOO_MANY_ALIASES"
    assert found["limit"] == 2 and found["setting"] == "PULSE_API_MAX_ALIASES"
    assert limited.reader.reads == 0


def test_a_query_of_too_many_tokens_is_refused_naming_the_limit(limited: Limited) -> None:
    """A document over 60 tokens: QUERY_TOO_LARGE with the limit, refused while parsed."""
    query = "{ " + " ".join(f"f{n}: activeVisitors {{ count }}" for n in range(12)) + " }"
    found = refusal(limited.ask(query))
    assert found["code"] == "QUERY_TOO_LARGE"
    assert found["limit"] == 60 and found["setting"] == "PULSE_API_MAX_TOKENS"
    assert limited.reader.reads == 0


def test_a_query_over_the_cost_limit_is_refused_with_its_cost(limited: Limited) -> None:
    """25 hour buckets x 5 figures = 125 over a limit of 100: QUERY_TOO_COSTLY naming both,
    before any ClickHouse read."""
    found = refusal(limited.ask(metrics("HOUR")))
    assert found["code"] == "QUERY_TOO_COSTLY"
    assert found["cost"] == 125 and found["limit"] == 100
    assert found["setting"] == "PULSE_API_MAX_COST"
    assert "125" in found["message"] and "coarser granularity" in found["suggestion"]
    assert limited.reader.reads == 0


def test_the_cost_counts_rows_asked_for_through_variables(limited: Limited) -> None:
    """first: 30 rows x 4 fields (120) in a variable is over 100; first: 20 (80) is not."""
    query = (
        "query R($n: Int!) { eventRows("
        + DAY_RANGE
        + ", first: $n) { rows { eventId eventType channel orgUnit } } }"
    )
    over = graphql(limited.client, query, {"n": 30}, bearer=limited.bearer)
    assert refusal(over)["cost"] == 120
    within = graphql(limited.client, query, {"n": 20}, bearer=limited.bearer)
    assert "errors" not in within, within


def test_default_limits_pass_a_dashboards_hourly_month(
    settings: Settings, clickhouse: ClickHouse, redis_url: str
) -> None:
    """At the default limits a month of hours with a dozen figures per bucket is answered."""
    figures = f"{FIGURES} clicked complained unsubscribed deliveryRate readRate clickRate"
    query = (
        '{ messagingMetrics(from: "2025-03-01T00:00:00Z", to: "2025-04-01T00:00:00Z",'
        f" granularity: HOUR) {{ buckets {{ start {figures} }} totals {{ {figures} }} }} }}"
    )
    with TestClient(create_app(settings, clickhouse, MemoryStore(), kafka_up)) as client:
        body = graphql(client, query, bearer=token(settings))
    assert "errors" not in body, body
    assert len(body["data"]["messagingMetrics"]["buckets"]) == 31 * 24
