"""Fixtures of the API tests: a real chdb holding a few known rows, tokens, and a test client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.health import Check
from pulse.messaging import COUNTERS
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator

H0 = datetime(2025, 3, 10, 9, tzinfo=UTC)
H1 = datetime(2025, 3, 10, 10, tzinfo=UTC)
H2 = datetime(2025, 3, 10, 11, tzinfo=UTC)
H3 = datetime(2025, 3, 10, 12, tzinfo=UTC)
DAY = datetime(2025, 3, 10, tzinfo=UTC)
NEXT_DAY = datetime(2025, 3, 11, tzinfo=UTC)


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def counter(
    tenant: str,
    granularity: str,
    start: datetime,
    end: datetime,
    channel: str,
    slice_: str,
    version: int,
    **counts: int,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": tenant,
        "granularity": granularity,
        "bucket_start": ms(start),
        "bucket_end": ms(end),
        "channel": channel,
        "slice": slice_,
        "version": version,
    }
    row.update({c: counts.get(c, 0) for c in COUNTERS})
    return row


def frt(
    tenant: str, conversation: str, channel: str, replied: datetime, frt_ms: int, version: int = 1
) -> dict[str, Any]:
    hour = replied.replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0)
    return {
        "tenant_id": tenant,
        "conversation_id": conversation,
        "channel": channel,
        "priority": "normal",
        "created_at": ms(replied) - frt_ms,
        "first_reply_at": ms(replied),
        "frt_ms": frt_ms,
        "hour_start": ms(hour),
        "day_start": ms(day),
        "week_start": ms(datetime(2025, 3, 10, tzinfo=UTC)),
        "month_start": ms(datetime(2025, 3, 1, tzinfo=UTC)),
        "slice": "pulse.events.conversations:0",
        "version": version,
    }


# Tenant "acme" in UTC. Hour H0: email over two slices (one slice also has a stale version the
# FINAL read must drop) and whatsapp with only received; H1: whatsapp sent, nothing delivered;
# H2: email sent 1, and a whatsapp conversation first answered (so a whatsapp filter sees an
# FRT-only bucket). "globex" has rows in H0 that must never show for acme.
COUNTER_ROWS = [
    counter("acme", "hour", H0, H1, "email", "s:0", 3, sent=7, delivered=7),
    counter(
        "acme", "hour", H0, H1, "email", "s:0", 5, sent=10, delivered=8, read=3, clicked=1, failed=2
    ),
    counter(
        "acme", "hour", H0, H1, "email", "s:1", 7, sent=5, delivered=4, complained=1, unsubscribed=2
    ),
    counter("acme", "hour", H0, H1, "whatsapp", "s:2", 4, received=4),
    counter("acme", "hour", H1, H2, "whatsapp", "s:2", 9, sent=3),
    counter("acme", "hour", H2, H3, "email", "s:0", 11, sent=1),
    counter(
        "acme",
        "day",
        DAY,
        NEXT_DAY,
        "email",
        "s:0",
        11,
        sent=11,
        delivered=8,
        read=3,
        clicked=1,
        failed=2,
    ),
    counter(
        "acme",
        "day",
        DAY,
        NEXT_DAY,
        "email",
        "s:1",
        7,
        sent=5,
        delivered=4,
        complained=1,
        unsubscribed=2,
    ),
    counter("acme", "day", DAY, NEXT_DAY, "whatsapp", "s:2", 9, sent=3, received=4),
    counter("globex", "hour", H0, H1, "email", "s:0", 2, sent=100, delivered=100),
]

FRT_ROWS = [
    frt("acme", "c1", "email", H0.replace(minute=10), 99_999, version=1),
    frt("acme", "c1", "email", H0.replace(minute=10), 1_000, version=2),
    frt("acme", "c2", "email", H0.replace(minute=20), 2_001),
    frt("acme", "c3", "email", H0.replace(minute=30), 4_000),
    frt("acme", "c4", "email", H0.replace(minute=40), 10_001),
    frt("acme", "c5", "whatsapp", H0.replace(minute=50), 500),
    frt("acme", "c6", "whatsapp", H2.replace(minute=5), 3_000),
    frt("globex", "g1", "email", H0.replace(minute=10), 7),
]


@dataclass
class MemoryStore:
    """A realtime store held in memory: what Redis would answer, and whether it answers PING."""

    hours: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    up: bool = True
    reads: int = 0

    def read_current_hour(self, tenant_id: str, now_ms: int) -> dict[str, dict[str, int]]:
        self.reads += 1
        return self.hours.get(tenant_id, {})

    def ping(self) -> bool:
        if not self.up:
            raise ConnectionError("Connection refused")
        return True


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings with a signing secret long enough for HS256 (32 bytes)."""
    return replace(settings, api=replace(settings.api, jwt_secret="test-secret-" + "x" * 32))


@pytest.fixture
def clickhouse(settings: Settings) -> Iterator[ClickHouse]:
    """The settings' own chdb with the contract's tables and the known rows above."""
    db = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        db.insert("messaging_counters", COUNTER_ROWS, list(COUNTER_ROWS[0]))
        db.insert("conversation_frt", FRT_ROWS, list(FRT_ROWS[0]))
        yield db
    finally:
        db.close()


def token(settings: Settings, tenant: str = "acme", ttl: int = 3600) -> str:
    claims = {"tenant_id": tenant, "exp": int(time.time()) + ttl}
    return jwt.encode(claims, settings.api.jwt_secret, algorithm="HS256")


def kafka_up() -> dict[str, Any]:
    return {"brokers": 1}


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def client(settings: Settings, clickhouse: ClickHouse, store: MemoryStore) -> Iterator[TestClient]:
    """The app over the test's chdb and an in-memory realtime store, Kafka taken as up."""
    check: Check = kafka_up
    with TestClient(create_app(settings, clickhouse, store, check)) as test_client:
        yield test_client


def graphql(
    client: TestClient,
    query: str,
    variables: dict[str, Any] | None = None,
    bearer: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    response = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body
