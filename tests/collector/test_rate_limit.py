"""Per-key token buckets in the real Redis: 429 with Retry-After, keys apart, outage is 503."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from pulse.settings import Settings
from tests.collector.conftest import (
    Keys,
    Running,
    apply_topics,
    collector_settings,
    message_event,
    running,
)

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


@pytest.fixture
def limited(settings: Settings, kafka: str, redis_url: str, keys: Keys) -> Iterator[Running]:
    """A collector allowing each key 5 events at once, refilled at 1 a second."""
    configured = collector_settings(settings, rate_per_second=1.0, burst=5, max_bulk_events=5)
    apply_topics(configured)
    yield from running(configured, keys)


def test_a_key_over_its_rate_gets_429_and_others_do_not(limited: Running) -> None:
    """After a full bucket, acme gets 429 with Retry-After while globex still gets 200."""
    bulk = [message_event() for _ in range(5)]
    post = limited.client.post
    assert post("/v1/events/bulk", json=bulk, headers=limited.bearer("acme")).status_code == 200
    refused = post("/v1/events", json=message_event(), headers=limited.bearer("acme"))
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    other = post("/v1/events", json=message_event("globex"), headers=limited.bearer("globex"))
    assert other.status_code == 200


def test_a_redis_outage_is_503_never_unlimited(
    settings: Settings, kafka: str, redis_url: str, keys: Keys
) -> None:
    """With Redis unreachable a request is refused 503 (Retry-After), not accepted unlimited."""
    dead = replace(settings, redis=replace(settings.redis, url="redis://127.0.0.1:1/0"))
    apply_topics(dead)
    for collector in running(dead, keys):
        started = time.monotonic()
        answer = collector.client.post(
            "/v1/events", json=message_event(), headers=collector.bearer("acme")
        )
        assert answer.status_code == 503 and answer.json()["error"] == "rate_limit_unavailable"
        assert answer.headers["Retry-After"] == "1"
        assert time.monotonic() - started < 10
        assert collector.client.get("/health").status_code == 503
