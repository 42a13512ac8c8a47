"""The shared token bucket (collector and API) in the real Redis: it refills at its rate."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from pulse.rate_limit import RateLimiter

pytestmark = pytest.mark.redis


def test_a_bucket_refills_at_its_rate(redis_url: str) -> None:
    """A drained bucket of rate 20/s lets one event through again after ~50 ms, not at once."""

    async def scenario() -> tuple[bool, bool, bool, int]:
        client = aioredis.Redis.from_url(redis_url)
        limiter = RateLimiter(client, f"test-{uuid.uuid4().hex}", rate=20.0, burst=3)
        first = await limiter.take("k", 3)
        drained = await limiter.take("k", 1)
        await asyncio.sleep(0.12)
        refilled = await limiter.take("k", 1)
        await client.aclose()
        return first.allowed, drained.allowed, refilled.allowed, drained.retry_after_ms

    first, drained, refilled, wait_ms = asyncio.run(scenario())
    assert first and not drained and refilled
    assert 0 < wait_ms <= 50
