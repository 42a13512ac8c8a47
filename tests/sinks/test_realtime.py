"""The realtime cache holds the current hour's slices in Redis with a TTL, summed on read."""

from __future__ import annotations

import uuid

import pytest
import redis

from pulse.sinks.realtime import RealtimeCache, bucket_key, index_key
from tests.sinks.rows import HOUR, T0, counter

pytestmark = pytest.mark.redis

NOW = T0 + HOUR // 2


@pytest.fixture
def cache(redis_url: str) -> RealtimeCache:
    return RealtimeCache(redis_url, ttl_seconds=60)


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def test_current_hour_slices_are_summed_by_channel(cache: RealtimeCache, tenant: str) -> None:
    """Two slices of one channel add up; another channel stays apart."""
    rows = [
        counter(5, 2, tenant=tenant, slice_="s:0", delivered=1),
        counter(9, 3, tenant=tenant, slice_="s:1"),
        counter(4, 7, tenant=tenant, slice_="s:0", channel="sms"),
    ]
    assert cache.write_counters(rows, NOW) == 3
    result = cache.read_current_hour(tenant, NOW)
    assert set(result) == {"whatsapp", "sms"}
    assert result["whatsapp"]["sent"] == 5 and result["whatsapp"]["delivered"] == 1
    assert result["sms"]["sent"] == 7 and result["sms"]["received"] == 0


def test_keys_carry_the_configured_ttl(cache: RealtimeCache, tenant: str, redis_url: str) -> None:
    """The bucket hash and the tenant's bucket index both expire within the TTL."""
    cache.write_counters([counter(1, 1, tenant=tenant)], NOW)
    client = redis.Redis.from_url(redis_url)
    for key in (bucket_key(tenant, T0), index_key(tenant)):
        assert 0 < client.pttl(key) <= 60_000


def test_only_the_bucket_containing_now_is_cached(cache: RealtimeCache, tenant: str) -> None:
    """Rows of past hours, of other granularities, and of other tenants are not written or read."""
    rows = [
        counter(1, 1, tenant=tenant, bucket=T0 - HOUR),
        counter(1, 1, tenant=tenant, granularity="day", bucket_end=T0 + 24 * HOUR),
    ]
    assert cache.write_counters(rows, NOW) == 0
    cache.write_counters([counter(1, 4, tenant=tenant + "x")], NOW)
    assert cache.read_current_hour(tenant, NOW) == {}
    assert cache.read_current_hour(tenant + "x", T0 + HOUR) == {}


def test_an_older_version_never_replaces_a_newer_one(cache: RealtimeCache, tenant: str) -> None:
    """A replayed slice at a lower version leaves the newer figure in place."""
    cache.write_counters([counter(10, 8, tenant=tenant)], NOW)
    cache.write_counters([counter(3, 1, tenant=tenant)], NOW)
    assert cache.read_current_hour(tenant, NOW)["whatsapp"]["sent"] == 8
    cache.write_counters([counter(11, 9, tenant=tenant)], NOW)
    assert cache.read_current_hour(tenant, NOW)["whatsapp"]["sent"] == 9


def test_an_offset_zone_bucket_is_found_without_the_zone(cache: RealtimeCache, tenant: str) -> None:
    """A local hour starting at :30 UTC (e.g. Asia/Kolkata) is found from any instant inside it."""
    start = T0 + HOUR // 2
    cache.write_counters([counter(1, 6, tenant=tenant, bucket=start)], start + 1)
    assert cache.read_current_hour(tenant, start + HOUR - 1)["whatsapp"]["sent"] == 6
    assert cache.read_current_hour(tenant, start - 1) == {}


def test_ping_reports_reachability(cache: RealtimeCache) -> None:
    """ping is true against the running Redis and false against a closed port."""
    assert cache.ping()
    assert not RealtimeCache("redis://127.0.0.1:1/0", ttl_seconds=60).ping()
