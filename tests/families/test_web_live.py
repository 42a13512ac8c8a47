"""The web realtime hook keeps each tenant's live set of visitors in Redis, trimmed, expiring."""

from __future__ import annotations

import uuid

import pytest
import redis

from pulse.families.web.live import WEB_REALTIME, active_visitors
from pulse.graphql.realtime import RealtimeReader
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache, active_key
from tests.families.web_events import COLUMNS, ms, store_web, view

pytestmark = [pytest.mark.redis, pytest.mark.clickhouse]

NOW = ms("2026-03-02T10:00:00Z")


def _columns(rows: list[dict[str, object]]) -> dict[str, list[object]]:
    return {c: [r[c] for r in rows] for c in COLUMNS}


def test_the_hook_keeps_recent_visitors_with_their_latest_event(
    redis_url: str, db: ClickHouse
) -> None:
    """Visitors seen in the last 5 minutes are kept, at their latest event; dnt and older ones
    never enter; the key expires within the window."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    cache = RealtimeCache(redis_url, 60)
    rows = [
        view("a", NOW - 60_000, tenant=tenant),
        view("a", NOW - 10_000, tenant=tenant),
        view("b", NOW - 299_000, tenant=tenant),
        view("old", NOW - 300_000, tenant=tenant),
        view("", NOW - 5_000, tenant=tenant, dnt=True),
    ]
    assert WEB_REALTIME.cache(db, cache, _columns(rows), NOW) == 2
    client = redis.Redis.from_url(redis_url)
    members = {
        m.decode(): int(s) for m, s in client.zrange(active_key(tenant), 0, -1, withscores=True)
    }
    assert members == {"a": NOW - 10_000, "b": NOW - 299_000}
    assert 0 < client.pttl(active_key(tenant)) <= 300_000
    # An older event of a later batch does not lower a score; the write trims b, now stale.
    later = NOW + 2_000
    WEB_REALTIME.cache(db, cache, _columns([view("a", NOW - 20_000, tenant=tenant)]), later)
    assert client.zscore(active_key(tenant), "a") == NOW - 10_000
    assert client.zscore(active_key(tenant), "b") is None
    client.delete(active_key(tenant))


def test_redis_and_clickhouse_give_the_same_count(redis_url: str, db: ClickHouse) -> None:
    """Asked at now, the live set answers; asked a minute later than the clock allows, or with
    the set gone, ClickHouse answers the same figure."""
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    cache = RealtimeCache(redis_url, 60)
    rows = [view(v, NOW - 1_000 * n, tenant=tenant) for n, v in enumerate(["a", "b", "c"])]
    rows.append(view("d", NOW - 400_000, tenant=tenant))
    store_web(db, rows)
    WEB_REALTIME.cache(db, cache, _columns(rows), NOW)
    live = RealtimeReader(cache, db)
    assert active_visitors(db, live, tenant, NOW, NOW).source == "redis"
    assert active_visitors(db, live, tenant, NOW, NOW).count == 3
    assert active_visitors(db, live, tenant, NOW, NOW + 60_000).source == "clickhouse"
    assert active_visitors(db, live, tenant, NOW, NOW + 60_000).count == 3
    redis.Redis.from_url(redis_url).delete(active_key(tenant))
    assert active_visitors(db, live, tenant, NOW, NOW).source == "clickhouse"
