"""The body and bulk limits: refused with 413 before anything is judged or published."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

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
from tests.collector.test_collect import published

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


@pytest.fixture
def small(settings: Settings, kafka: str, redis_url: str, keys: Keys) -> Iterator[Running]:
    """A collector taking 4 kB bodies and bulks of 5."""
    configured = collector_settings(settings, max_body_bytes=4096, max_bulk_events=5)
    apply_topics(configured)
    yield from running(configured, keys)


def test_a_body_over_the_limit_is_413(small: Running) -> None:
    """A body past max_body_bytes, declared or streamed, is 413 and nothing is published."""
    big = message_event(attributes={"x": "y" * 5000})
    answer = small.client.post("/v1/events", json=big, headers=small.bearer("acme"))
    assert answer.status_code == 413 and answer.json()["error"] == "body_too_large"
    assert published(small) == []


def test_a_gzip_bomb_is_413(small: Running) -> None:
    """A small gzip body inflating past the limit is refused at the limit."""
    bomb = gzip.compress(b"[" + b" " * 1_000_000 + b"]")
    assert len(bomb) < 4096
    headers = {**small.bearer("acme"), "Content-Encoding": "gzip"}
    answer = small.client.post("/v1/events/bulk", content=bomb, headers=headers)
    assert answer.status_code == 413


def test_a_bulk_over_the_event_limit_is_413(small: Running) -> None:
    """Six events where five are allowed: 413 too_many_events, none published."""
    events = [{"event_type": "x"} for _ in range(6)]
    answer = small.client.post(
        "/v1/events/bulk", content=json.dumps(events), headers=small.bearer("acme")
    )
    assert answer.status_code == 413 and answer.json()["error"] == "too_many_events"
