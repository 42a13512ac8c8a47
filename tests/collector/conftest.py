"""The collector in-process over the real broker and Redis, with keys made for the test.

The keys are records made by :func:`new_key` and held in a dictionary here: the key directory
itself is tested on the real topic in test_keys_cli.py; these tests are about HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from starlette.testclient import TestClient

from pulse.collector.app import create_app
from pulse.collector.client_ip import parse_proxies
from pulse.collector.collect_cli import collector_for
from pulse.collector.keys import ApiKey, hash_key, new_key
from pulse.collector.publisher import Publisher
from pulse.rate_limit import RateLimiter
from pulse.settings import Settings
from pulse.topics.admin import apply
from pulse.topics.cli import make_plan

SHOP = "https://shop.example"


@dataclass
class Keys:
    """The test's keys by name, and a lookup over them (the collector's KeyLookup)."""

    secrets: dict[str, str] = field(default_factory=dict)
    records: dict[str, ApiKey] = field(default_factory=dict)

    def add(self, name: str, secret: str, record: ApiKey) -> None:
        self.secrets[name] = secret
        self.records[record.sha256] = record

    def lookup(self, presented: str) -> ApiKey | None:
        return self.records.get(hash_key(presented))

    def site_origins(self) -> frozenset[str]:
        return frozenset(
            o
            for r in self.records.values()
            if r.active and r.kind == "site"
            for o in r.allowed_origins
        )


def make_keys() -> Keys:
    keys = Keys()
    for name, tenant in (("acme", "acme"), ("globex", "globex")):
        keys.add(name, *new_key(tenant, "server"))
    secret, record = new_key("acme", "server")
    keys.add("revoked", secret, record.revoked(1))
    keys.add("site", *new_key("acme", "site", (SHOP,)))
    return keys


def collector_settings(settings: Settings, **changes: Any) -> Settings:
    """The test's settings with a fresh rate-limit namespace (its topic prefix) and changes."""
    return replace(settings, collector=replace(settings.collector, **changes))


def apply_topics(settings: Settings) -> None:
    plan, admin = make_plan(settings)
    apply(admin, plan)


@pytest.fixture
def keys() -> Keys:
    return make_keys()


@dataclass
class Running:
    client: TestClient
    keys: Keys
    settings: Settings

    def bearer(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.secrets[name]}"}


def running(settings: Settings, keys: Keys) -> Iterator[Running]:
    publisher = Publisher(settings.kafka)
    client = aioredis.Redis.from_url(settings.redis.url)
    config = settings.collector
    limiter = RateLimiter(
        client,
        f"{settings.kafka.topic_prefix}-{uuid.uuid4().hex[:6]}",
        config.rate_per_second,
        config.burst,
    )
    proxies = parse_proxies(config.trusted_proxies)
    app = create_app(collector_for(settings, keys, publisher, limiter, proxies))
    try:
        with TestClient(app, client=("198.51.100.23", 50000)) as http:
            yield Running(http, keys, settings)
    finally:
        publisher.close(config.ack_timeout_seconds)


@pytest.fixture
def collector(settings: Settings, kafka: str, redis_url: str, keys: Keys) -> Iterator[Running]:
    """The collector app over the test's topics (applied), Redis and keys."""
    apply_topics(settings)
    yield from running(settings, keys)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_event(tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    """A valid message.sent of ``tenant``, an hour ago."""
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": tenant,
        "event_type": "message.sent",
        "occurred_at": iso(datetime.now(UTC) - timedelta(hours=1)),
        "message_id": f"m-{uuid.uuid4().hex[:8]}",
        "channel": "email",
        "direction": "outbound",
        "sender_type": "agent",
        **fields,
    }


def page_view(tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    """A valid web.page_view of ``tenant``, a minute ago."""
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": tenant,
        "event_type": "web.page_view",
        "occurred_at": iso(datetime.now(UTC) - timedelta(minutes=1)),
        "visitor_id": f"v-{uuid.uuid4().hex[:8]}",
        "url": "https://shop.example/",
        **fields,
    }
