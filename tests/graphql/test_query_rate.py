"""Per-tenant request rates in the real Redis, through the real app: RATE_LIMITED with a retry
time (429 on /export), tenants apart, a token per subscription, and Redis down refused as
RATE_LIMIT_UNAVAILABLE."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.graphql.conftest import MemoryStore, graphql, kafka_up, token
from tests.graphql.live_client import PROTOCOL, init, receive, subscribe
from tests.graphql.test_live_auth import code
from tests.graphql.test_roles_matrix import EmptyReads

pytestmark = [pytest.mark.clickhouse, pytest.mark.redis]

QUERY = "{ activeVisitors { count } }"
EXPORT = {
    "kind": "events",
    "format": "csv",
    "arguments": {"from": "2025-03-10T00:00:00Z", "to": "2025-03-11T00:00:00Z"},
}


def rated(settings: Settings, **redis: Any) -> Settings:
    """Each tenant allowed 2 requests at once, refilled at one every 10 s."""
    api = replace(settings.api, rate_per_second=0.1, rate_burst=2)
    return replace(settings, api=api, redis=replace(settings.redis, **redis))


@pytest.fixture
def client(settings: Settings, clickhouse: ClickHouse, redis_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(rated(settings), clickhouse, MemoryStore(), kafka_up)) as http:
        yield http


def test_a_tenant_over_its_rate_is_refused_with_a_retry_time(
    client: TestClient, settings: Settings
) -> None:
    """The third request in a burst of 2: RATE_LIMITED with retry seconds and Retry-After."""
    bearer = token(settings)
    for _ in range(2):
        assert "errors" not in graphql(client, QUERY, bearer=bearer)
    response = client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {bearer}"}
    )
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= error["extensions"]["retry_after_seconds"] <= 10
    assert error["extensions"]["setting"] == "PULSE_API_RATE_PER_SECOND"
    assert response.headers["Retry-After"] == str(error["extensions"]["retry_after_seconds"])


def test_tenants_have_their_own_buckets(client: TestClient, settings: Settings) -> None:
    """acme's empty bucket does not refuse globex."""
    for _ in range(3):
        graphql(client, QUERY, bearer=token(settings, "acme"))
    assert "errors" not in graphql(client, QUERY, bearer=token(settings, "globex"))


def test_an_export_over_the_rate_is_429_with_retry_after(
    client: TestClient, settings: Settings
) -> None:
    """Exports draw from the tenant's bucket: once it is empty, /export answers 429."""
    headers = {"Authorization": f"Bearer {token(settings)}"}
    assert client.post("/export", json=EXPORT, headers=headers).status_code == 200
    graphql(client, QUERY, bearer=token(settings))
    refused = client.post("/export", json=EXPORT, headers=headers)
    assert refused.status_code == 429
    assert refused.json()["extensions"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) >= 1


def test_a_redis_outage_refuses_requests_saying_so(
    settings: Settings, clickhouse: ClickHouse
) -> None:
    """Redis unreachable: RATE_LIMIT_UNAVAILABLE (503 on /export) at once, never unlimited."""
    dead = rated(settings, url="redis://127.0.0.1:1/0")
    with TestClient(create_app(dead, clickhouse, MemoryStore(), kafka_up)) as client:
        started = time.monotonic()
        body = graphql(client, QUERY, bearer=token(settings))
        headers = {"Authorization": f"Bearer {token(settings)}"}
        export = client.post("/export", json=EXPORT, headers=headers)
    assert time.monotonic() - started < 5
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMIT_UNAVAILABLE"
    assert "Redis" in error["message"]
    assert export.status_code == 503


def test_each_subscription_takes_a_token(settings: Settings, redis_url: str) -> None:
    """On one WebSocket with 2 tokens: two subscriptions answer, the third is RATE_LIMITED."""
    app = create_app(rated(settings), EmptyReads(), MemoryStore(), kafka_up)
    query = "subscription { activeVisitors { count } }"
    answers = []
    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as socket,
    ):
        init(socket, token(settings))
        assert receive(socket)["type"] == "connection_ack"
        for op in "123":
            subscribe(socket, query, op)
            answers.append(receive(socket))
    assert [a["type"] for a in answers[:2]] == ["next", "next"]
    assert code(answers[2]) == "RATE_LIMITED"
