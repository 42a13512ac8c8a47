"""``realtimeMessaging`` sums the slots of the tenant's current local hour: Redis's, and
ClickHouse's ``messaging_slots`` for the slots Redis does not hold."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.families.messaging.model import MessagingCounts
from pulse.graphql.app import create_app
from pulse.graphql.realtime import RealtimeReader
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache, SlotChannel
from tests.graphql.conftest import (
    MemoryStore,
    graphql,
    kafka_up,
    messages,
    ms,
    store_raw,
    token,
)

QUERY = """
{ realtimeMessaging {
    tenantId asOf source
    channels { channel sent delivered deliveryRate readRate }
    total { sent delivered received deliveryRate }
} }
"""
SLOT_MS = 15 * 60_000
# 2026-10-26T07:40:00Z: 13:10 in Asia/Kolkata, whose hour began at 07:30Z.
NOW_MS = ms(datetime(2026, 10, 26, 7, 40, tzinfo=UTC))


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
    """What Redis holds for the slots of the tenant's hour comes back per channel, sorted, and
    summed; the slot before the hour is not, and the hour's slots Redis lacks have no events in
    ClickHouse, so the answer is still Redis's."""
    _, hour = current_hour()
    store.slots["acme"] = {
        ms(hour): {
            "sms": MessagingCounts(sent=4, delivered=1),
            "email": MessagingCounts(sent=2, delivered=2, read=1, received=3),
        },
        ms(hour) - SLOT_MS: {"sms": MessagingCounts(sent=50)},  # the hour before
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
def test_empty_redis_falls_back_to_the_clickhouse_slots(
    client: TestClient, settings: Settings, clickhouse: ClickHouse
) -> None:
    """With nothing in Redis the hour's slots in messaging_slots answer, marked CLICKHOUSE;
    events of the hour before are not counted."""
    now, hour = current_hour()
    store_raw(clickhouse, messages("sent", 5, hour, "email") + messages("sent", 2, now, "email"))
    store_raw(clickhouse, messages("sent", 9, hour - timedelta(minutes=1), "email"))
    body = graphql(client, QUERY, bearer=token(settings))
    assert "errors" not in body, body
    result = body["data"]["realtimeMessaging"]
    assert result["source"] == "CLICKHOUSE"
    assert result["channels"] == [
        {"channel": "email", "sent": 7, "delivered": 0, "deliveryRate": 0.0, "readRate": None}
    ]


@pytest.mark.redis
@pytest.mark.clickhouse
def test_slots_written_to_redis_are_served(
    settings: Settings, clickhouse: ClickHouse, redis_url: str
) -> None:
    """Slots cached in the real Redis come back summed by channel."""
    tenant = f"rt-{uuid.uuid4().hex[:8]}"
    _, hour = current_hour()
    cache = RealtimeCache(redis_url, 60)
    rows = [
        SlotChannel(tenant, ms(hour), "sms", 3, MessagingCounts(sent=2, delivered=2)),
        SlotChannel(tenant, ms(hour), "email", 3, MessagingCounts(sent=1)),
    ]
    assert cache.write_slots(rows) == 2
    app = create_app(settings, clickhouse, cache, kafka_up)
    with TestClient(app) as client:
        body = graphql(client, QUERY, bearer=token(settings, tenant))
    cache.close()
    result = body["data"]["realtimeMessaging"]
    assert result["source"] == "REDIS"
    assert result["channels"] == [
        {"channel": "email", "sent": 1, "delivered": 0, "deliveryRate": 0.0, "readRate": None},
        {"channel": "sms", "sent": 2, "delivered": 2, "deliveryRate": 100.0, "readRate": 0.0},
    ]


class CountingReader:
    """A ClickHouse that answers one email row per slot asked and counts how often it was asked."""

    def __init__(self) -> None:
        self.queries = 0
        self.slots: list[int] = []

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        assert params is not None
        self.queries += 1
        self.slots = list(params["slots0"])
        counts = dict.fromkeys(MessagingCounts.__dataclass_fields__, 0)
        return [
            {"slot_ms": s, "channel": "email", "version": 1, **counts, "sent": self.queries}
            for s in self.slots
        ]


def test_the_tenants_zone_decides_which_slots_make_the_hour() -> None:
    """At 07:40Z a Kolkata hour began at 07:30Z: slots 07:30 (from Redis) and none before it;
    a UTC hour began at 07:00Z: slots 07:00, 07:15 and 07:30."""
    store = MemoryStore(
        slots={
            "acme": {
                NOW_MS - 10 * 60_000: {"sms": MessagingCounts(sent=1)},
                NOW_MS - 25 * 60_000: {"sms": MessagingCounts(sent=10)},
            }
        }
    )
    db = CountingReader()
    kolkata = RealtimeReader(store, db).current_hour("acme", "Asia/Kolkata", NOW_MS)
    assert (kolkata.source, kolkata.channels, db.queries) == (
        "redis",
        {"sms": MessagingCounts(sent=1)},
        0,
    )
    utc = RealtimeReader(store, db).current_hour("acme", "UTC", NOW_MS)
    assert db.slots == [NOW_MS - 40 * 60_000]
    assert utc.source == "clickhouse"
    assert utc.channels == {"sms": MessagingCounts(sent=11), "email": MessagingCounts(sent=1)}


def test_fallback_is_cached_for_its_ttl() -> None:
    """A second fallback read within the TTL is served from memory; after it, ClickHouse again."""
    now = [1000.0]
    db = CountingReader()
    reader = RealtimeReader(MemoryStore(), db, ttl_seconds=60, clock=lambda: now[0])
    first = reader.current_hour("acme", "UTC", NOW_MS)
    now[0] += 59
    assert reader.current_hour("acme", "UTC", NOW_MS) == first
    assert db.queries == 1
    now[0] += 2
    assert reader.current_hour("acme", "UTC", NOW_MS).channels["email"].sent == 2 * 3
