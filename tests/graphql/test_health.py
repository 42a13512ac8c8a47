"""``/health`` reports each service: 200 when all are up, 503 with the reasons otherwise."""

from __future__ import annotations

import socket

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.health import kafka_check
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache
from tests.graphql.conftest import MemoryStore, kafka_up


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.clickhouse
def test_all_services_up_is_200(
    settings: Settings, clickhouse: ClickHouse, kafka: str, redis_url: str
) -> None:
    """With the real Kafka, chdb and Redis reachable, /health says ok for each."""
    app = create_app(settings, clickhouse, RealtimeCache(redis_url, 60), kafka_check(kafka))
    with TestClient(app) as client:
        response = client.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert {name: body[name]["status"] for name in ("kafka", "clickhouse", "redis")} == {
        "kafka": "up",
        "clickhouse": "up",
        "redis": "up",
    }
    assert body["kafka"]["brokers"] >= 1


@pytest.mark.redis
@pytest.mark.clickhouse
def test_kafka_on_a_closed_port_is_503_with_a_reason(
    settings: Settings, clickhouse: ClickHouse, redis_url: str
) -> None:
    """Kafka unreachable within the 2 s probe: degraded, 503, Kafka down with why; others up."""
    check = kafka_check(f"127.0.0.1:{closed_port()}")
    app = create_app(settings, clickhouse, RealtimeCache(redis_url, 60), check)
    with TestClient(app) as client:
        response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["kafka"]["status"] == "down"
    assert body["kafka"]["reason"]
    assert body["clickhouse"]["status"] == "up"
    assert body["redis"]["status"] == "up"


@pytest.mark.clickhouse
def test_redis_down_is_503_with_its_error(settings: Settings, clickhouse: ClickHouse) -> None:
    """A realtime store whose PING fails makes the API degraded, with the failure as reason."""
    app = create_app(settings, clickhouse, MemoryStore(up=False), kafka_up)
    with TestClient(app) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["redis"] == {
        "status": "down",
        "reason": "ConnectionError: Connection refused",
    }
