"""``realtimeMessaging`` reads Redis's current hour, falling back to ClickHouse's hour rows."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.realtime import RealtimeReader
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache
from tests.graphql.conftest import COUNTERS, MemoryStore, counter, graphql, kafka_up, token

QUERY = """
{ realtimeMessaging {
    tenantId asOf source
    channels { channel sent delivered deliveryRate readRate }
    total { sent delivered received deliveryRate }
} }
"""


def current_hour() -> tuple[datetime, datetime]:
    """Now and the start of its UTC hour, waiting out the last seconds of an hour so the API's
    own clock is still in the same hour when it answers."""
    now = datetime.now(UTC)
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if end - now < timedelta(seconds=10):
        time.sleep((end - now).total_seconds() + 0.1)
        now = datetime.now(UTC)
    return now, now.replace(minute=0, second=0, microsecond=0)


@pytest.mark.clickhouse
def test_redis_figures_are_served_by_channel_and_in_total(
    client: TestClient, settings: Settings, store: MemoryStore
) -> None:
    """What Redis holds for the tenant's hour comes back per channel, sorted, and summed."""
    store.hours["acme"] = {
        "sms": {"sent": 4, "delivered": 1},
        "email": {"sent": 2, "delivered": 2, "read": 1, "received": 3},
    }
    body = graphql(client, QUERY, bearer=token(settings))
    assert "errors" not in body, body
    result = body["data"]["realtimeMessaging"]
    assert (result["tenantId"], result["source"]) == ("acme", "REDIS")
    assert result["channels"] == [
        {"channel": "email", "sent": 2, "delivered": 2, "deliveryRate": 100.0, "readRate": 50.0},
        {"channel": "sms", "sent": 4, "delivered": 1, "deliveryRate": 25.0, "readRate": 0.0},
    ]
    assert result["total"] == {"sent": 6, "delivered": 3, "received": 3, "deliveryRate": 50.0}
    as_of = datetime.fromisoformat(result["asOf"])
    assert abs(as_of - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.clickhouse
def test_empty_redis_falls_back_to_the_clickhouse_hour_row(
    client: TestClient, settings: Settings, clickhouse: ClickHouse
) -> None:
    """With nothing in Redis the current hour's counter rows answer, marked CLICKHOUSE."""
    _, hour = current_hour()
    rows = [
        counter("acme", "hour", hour, hour + timedelta(hours=1), "email", "s:0", 1, sent=5),
        counter("acme", "hour", hour, hour + timedelta(hours=1), "email", "s:1", 1, sent=2),
        counter("acme", "day", hour, hour + timedelta(days=1), "email", "s:0", 1, sent=99),
    ]
    clickhouse.insert("messaging_counters", rows, list(rows[0]))
    body = graphql(client, QUERY, bearer=token(settings))
    assert "errors" not in body, body
    result = body["data"]["realtimeMessaging"]
    assert result["source"] == "CLICKHOUSE"
    assert result["channels"] == [
        {"channel": "email", "sent": 7, "delivered": 0, "deliveryRate": 0.0, "readRate": None}
    ]


@pytest.mark.redis
@pytest.mark.clickhouse
def test_figures_written_by_the_sink_to_redis_are_served(
    settings: Settings, clickhouse: ClickHouse, redis_url: str
) -> None:
    """Hour slices the sink cached in the real Redis come back summed by channel."""
    tenant = f"rt-{uuid.uuid4().hex[:8]}"
    now, hour = current_hour()
    end = hour + timedelta(hours=1)
    cache = RealtimeCache(redis_url, 60)
    rows = [
        counter(tenant, "hour", hour, end, "sms", "s:0", 3, sent=2, delivered=2),
        counter(tenant, "hour", hour, end, "sms", "s:1", 5, sent=1, delivered=0),
    ]
    assert cache.write_counters(rows, int(now.timestamp() * 1000)) == 2
    app = create_app(settings, clickhouse, cache, kafka_up)
    with TestClient(app) as client:
        body = graphql(client, QUERY, bearer=token(settings, tenant))
    cache.close()
    result = body["data"]["realtimeMessaging"]
    assert result["source"] == "REDIS"
    assert result["channels"] == [
        {"channel": "sms", "sent": 3, "delivered": 2, "deliveryRate": 66.67, "readRate": 0.0}
    ]


class CountingReader:
    """A ClickHouse that answers one email row and counts how often it was asked."""

    def __init__(self) -> None:
        self.queries = 0

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        self.queries += 1
        counts = dict.fromkeys(COUNTERS, 0)
        return [{"channel": "email", **counts, "sent": self.queries}]


def test_fallback_is_cached_for_its_ttl() -> None:
    """A second fallback read within the TTL is served from memory; after it, ClickHouse again."""
    now = [1000.0]
    db = CountingReader()
    reader = RealtimeReader(MemoryStore(), db, ttl_seconds=60, clock=lambda: now[0])
    now_ms = int(time.time() * 1000)
    first = reader.current_hour("acme", now_ms)
    now[0] += 59
    assert reader.current_hour("acme", now_ms) == first
    assert db.queries == 1
    now[0] += 2
    assert reader.current_hour("acme", now_ms).channels["email"]["sent"] == 2


def test_redis_answer_bypasses_clickhouse() -> None:
    """When Redis has the hour, ClickHouse is not read at all."""
    db = CountingReader()
    store = MemoryStore(hours={"acme": {"sms": {"sent": 1}}})
    snapshot = RealtimeReader(store, db).current_hour("acme", 0)
    assert (snapshot.source, snapshot.channels, db.queries) == ("redis", {"sms": {"sent": 1}}, 0)
