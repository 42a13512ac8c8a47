"""The evaluator's Redis: the sink's touched tenants and the one-evaluator lease."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from pulse.alerts.wakeup import Lease, Touched, TouchedTenants, lease_key, stored_key, touched_key

pytestmark = pytest.mark.redis


def test_touched_tenants_wake_the_waiter_and_drain(redis_url: str) -> None:
    """Marks from several batches come back once each, at once; an empty list waits its timeout."""
    prefix = f"test{uuid.uuid4().hex[:8]}"
    touched = TouchedTenants.open(redis_url, prefix)
    try:
        touched.mark(["acme", "globex", "acme"])
        touched.mark(["initech"])
        started = time.monotonic()
        assert touched.wait(5.0) == Touched(derived=frozenset({"acme", "globex", "initech"}))
        assert time.monotonic() - started < 1.0
        assert not touched.wait(0.2)
    finally:
        redis.Redis.from_url(redis_url).delete(touched_key(prefix))
        touched.close()


def test_raw_rows_wake_raw_readers_first_and_the_rest_after_the_derivations(
    redis_url: str,
) -> None:
    """A stored mark alone wakes the tenant's raw-only rules; the derived mark wakes the others;
    one wait drains both lists, whichever was marked first."""
    prefix = f"test{uuid.uuid4().hex[:8]}"
    touched = TouchedTenants.open(redis_url, prefix)
    try:
        touched.mark_stored(["acme"])
        early = touched.wait(5.0)
        assert early.wakes("acme", reads_raw_only=True)
        assert not early.wakes("acme", reads_raw_only=False)
        touched.mark_stored(["globex"])
        touched.mark(["acme", "globex"])
        assert touched.wait(5.0) == Touched(frozenset({"globex"}), frozenset({"acme", "globex"}))
    finally:
        redis.Redis.from_url(redis_url).delete(touched_key(prefix), stored_key(prefix))
        touched.close()


def test_one_lease_holder_at_a_time(redis_url: str) -> None:
    """The first evaluator takes the lease and renews it; the second takes it only once the
    first released it or let it expire."""
    client = redis.Redis.from_url(redis_url)
    key = lease_key(f"test{uuid.uuid4().hex[:8]}")
    first, second = Lease(client, key, 300), Lease(client, key, 300)
    try:
        assert first.hold() == "acquired"
        assert second.hold() == "elsewhere"
        assert first.hold() == "renewed"
        first.release()
        assert second.hold() == "acquired"
        time.sleep(0.5)  # second stops renewing: its lease expires
        assert first.hold() == "acquired"
        assert second.hold() == "elsewhere"
    finally:
        client.delete(key)
        client.close()
