"""The realtime cache holds recent messaging slots in Redis by channel, versioned, with a TTL."""

from __future__ import annotations

import uuid

import pytest
import redis

from pulse.families.messaging.model import MessagingCounts
from pulse.sinks.realtime import RealtimeCache, SlotChannel, slot_key
from tests.sinks.rows import T0

pytestmark = pytest.mark.redis

SLOT = 15 * 60_000


@pytest.fixture
def cache(redis_url: str) -> RealtimeCache:
    return RealtimeCache(redis_url, ttl_seconds=60)


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def slot(
    tenant: str, version: int, sent: int, at: int = T0, channel: str = "whatsapp", **more: int
) -> SlotChannel:
    return SlotChannel(tenant, at, channel, version, MessagingCounts(sent=sent, **more))


def test_slots_are_read_back_by_channel(cache: RealtimeCache, tenant: str) -> None:
    """Each slot's channels come back as written; slots Redis does not hold are left out."""
    rows = [
        slot(tenant, 5, 2, delivered=1),
        slot(tenant, 5, 7, channel="sms"),
        slot(tenant, 6, 3, at=T0 + SLOT),
    ]
    assert cache.write_slots(rows) == 3
    found = cache.read_slots(tenant, [T0, T0 + SLOT, T0 + 2 * SLOT])
    assert found == {
        T0: {
            "whatsapp": MessagingCounts(sent=2, delivered=1),
            "sms": MessagingCounts(sent=7),
        },
        T0 + SLOT: {"whatsapp": MessagingCounts(sent=3)},
    }


def test_keys_carry_the_configured_ttl(cache: RealtimeCache, tenant: str, redis_url: str) -> None:
    """A slot's hash expires within the TTL, so a figure a failed write left is stale that long."""
    cache.write_slots([slot(tenant, 1, 1)])
    client = redis.Redis.from_url(redis_url)
    assert 0 < client.pttl(slot_key(tenant, T0)) <= 60_000


def test_tenants_are_kept_apart(cache: RealtimeCache, tenant: str) -> None:
    """Another tenant's slot at the same instant is not read for this one."""
    cache.write_slots([slot(tenant + "x", 1, 4)])
    assert cache.read_slots(tenant, [T0]) == {}
    assert cache.read_slots(tenant + "x", [T0]) == {T0: {"whatsapp": MessagingCounts(sent=4)}}


def test_an_older_version_never_replaces_a_newer_one(cache: RealtimeCache, tenant: str) -> None:
    """A late write of an earlier refresh leaves the newer figure in place; a newer one wins."""
    cache.write_slots([slot(tenant, 10, 8)])
    cache.write_slots([slot(tenant, 3, 1)])
    assert cache.read_slots(tenant, [T0])[T0]["whatsapp"].sent == 8
    cache.write_slots([slot(tenant, 11, 9)])
    assert cache.read_slots(tenant, [T0])[T0]["whatsapp"].sent == 9


def test_nothing_to_write_sends_nothing(cache: RealtimeCache) -> None:
    """An empty write is no round trip and no error."""
    assert cache.write_slots([]) == 0


def test_ping_reports_reachability(cache: RealtimeCache) -> None:
    """ping is true against the running Redis and false against a closed port."""
    assert cache.ping()
    assert not RealtimeCache("redis://127.0.0.1:1/0", ttl_seconds=60).ping()


def test_a_tenants_newest_event_only_rises(cache: RealtimeCache, tenant: str) -> None:
    """The newest stored event time keeps the highest one written, per tenant."""
    assert cache.newest_event(tenant) is None
    cache.mark_newest({tenant: T0 + 5, tenant + "x": T0})
    cache.mark_newest({tenant: T0})
    assert (cache.newest_event(tenant), cache.newest_event(tenant + "x")) == (T0 + 5, T0)
