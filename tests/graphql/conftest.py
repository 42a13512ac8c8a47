"""Fixtures of the API tests: a real chdb holding a few known raw events (and their slots),
tokens, and a test client."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from pulse.families.messaging.model import MessagingCounts
from pulse.graphql.app import create_app
from pulse.graphql.health import Check
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from pulse.topics.tenants import TenantSettings
from tests.families.events import store as store_events

H0 = datetime(2025, 3, 10, 9, tzinfo=UTC)
H1 = datetime(2025, 3, 10, 10, tzinfo=UTC)
H2 = datetime(2025, 3, 10, 11, tzinfo=UTC)
H3 = datetime(2025, 3, 10, 12, tzinfo=UTC)
DAY = datetime(2025, 3, 10, tzinfo=UTC)
NEXT_DAY = datetime(2025, 3, 11, tzinfo=UTC)


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


RAW_COLUMNS = [
    "tenant_id",
    "event_id",
    "event_type",
    "occurred_at",
    "channel",
    "sender_type",
    "conversation_id",
    "org_unit",
    "campaign_id",
    "template_id",
    "workflow_id",
    "sequence_id",
    "source_topic",
    "source_partition",
    "source_offset",
    "ingested_at",
]
_IDS = itertools.count(1)


def raw(
    kind: str, at: datetime, channel: str, tenant: str = "acme", **fields: str
) -> dict[str, Any]:
    """One ``events_raw`` row of type ``kind`` at ``at``."""
    row: dict[str, Any] = dict.fromkeys(RAW_COLUMNS, "")
    row.update(
        tenant_id=tenant,
        event_id=f"g{next(_IDS):06d}",
        event_type=kind,
        occurred_at=ms(at),
        channel=channel,
        source_topic="pulse.events.conversations",
        source_partition=0,
        source_offset=0,
        ingested_at=ms(at),
    )
    row.update(fields)
    return row


def messages(
    kind: str, count: int, at: datetime, channel: str, tenant: str = "acme", **fields: str
) -> list[dict[str, Any]]:
    """``count`` events of type ``message.<kind>``, one second apart from ``at``."""
    return [
        raw(f"message.{kind}", at + timedelta(seconds=n), channel, tenant, **fields)
        for n in range(count)
    ]


def answered(
    conversation: str, channel: str, replied: datetime, frt_ms: int, tenant: str = "acme"
) -> list[dict[str, Any]]:
    """A conversation of org unit support created ``frt_ms`` before its first agent reply."""
    created = replied - timedelta(milliseconds=frt_ms)
    common = {"conversation_id": conversation, "org_unit": "support"}
    return [
        raw("conversation.created", created, channel, tenant, **common),
        raw("message.sent", replied, channel, tenant, sender_type="agent", **common),
    ]


def store_raw(db: ClickHouse, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``events_raw`` and refresh what they touched, as the sink does."""
    store_events(db, rows, RAW_COLUMNS)


SPRING = {"campaign_id": "spring", "template_id": "t1"}

# Tenant "acme" in UTC (unless a test moves it). H0: email sent 15 (4 of them the first agent
# replies of c1-c4, 11 of campaign spring), delivered 12, read 3, clicked 1, failed 2,
# complained 1, unsubscribed 2; whatsapp received 4 and c5's reply. H1: whatsapp sent 3 of org
# unit sales. H2: email sent 1 (workflow wf1, sequence sq1) and c6's whatsapp reply. "globex" has
# 100 emails sent and delivered and one reply in H0 that must never show for acme.
RAW_ROWS = [
    *answered("c1", "email", H0.replace(minute=10), 1_000),
    *answered("c2", "email", H0.replace(minute=20), 2_001),
    *answered("c3", "email", H0.replace(minute=30), 4_000),
    *answered("c4", "email", H0.replace(minute=40), 10_001),
    *messages("sent", 11, H0.replace(minute=1), "email", **SPRING),
    *messages("delivered", 12, H0.replace(minute=2), "email", **SPRING),
    *messages("read", 3, H0.replace(minute=3), "email", **SPRING),
    *messages("clicked", 1, H0.replace(minute=4), "email", **SPRING),
    *messages("failed", 2, H0.replace(minute=5), "email", **SPRING),
    *messages("complained", 1, H0.replace(minute=6), "email", **SPRING),
    *messages("unsubscribed", 2, H0.replace(minute=7), "email", **SPRING),
    *messages("received", 4, H0.replace(minute=8), "whatsapp"),
    *answered("c5", "whatsapp", H0.replace(minute=50), 500),
    *messages("sent", 3, H1.replace(minute=20), "whatsapp", org_unit="sales"),
    *messages("sent", 1, H2.replace(minute=1), "email", workflow_id="wf1", sequence_id="sq1"),
    *answered("c6", "whatsapp", H2.replace(minute=5), 3_000),
    *messages("sent", 100, H0.replace(minute=1), "email", tenant="globex"),
    *messages("delivered", 100, H0.replace(minute=3), "email", tenant="globex"),
    *answered("g1", "email", H0.replace(minute=10), 7, tenant="globex"),
]


@dataclass
class MemoryStore:
    """A realtime store held in memory: the slots Redis would hold, and whether it answers."""

    slots: dict[str, dict[int, dict[str, MessagingCounts]]] = field(default_factory=dict)
    up: bool = True
    reads: int = 0
    # The web family's live sets: visitor → latest event ms, by tenant.
    active: dict[str, dict[str, int]] = field(default_factory=dict)
    # The sink's newest stored event time by tenant.
    newest: dict[str, int] = field(default_factory=dict)

    def read_slots(
        self, tenant_id: str, slots: Sequence[int]
    ) -> dict[int, dict[str, MessagingCounts]]:
        self.reads += 1
        held = self.slots.get(tenant_id, {})
        return {slot: held[slot] for slot in slots if slot in held}

    def count_active(self, tenant_id: str, from_ms: int, to_ms: int) -> int | None:
        seen = self.active.get(tenant_id)
        if seen is None:
            return None
        return sum(1 for at in seen.values() if from_ms < at <= to_ms)

    def newest_event(self, tenant_id: str) -> int | None:
        return self.newest.get(tenant_id)

    def ping(self) -> bool:
        if not self.up:
            raise ConnectionError("Connection refused")
        return True


@dataclass
class Tenants:
    """Tenants' settings a test can change between requests (a zone change)."""

    zones: dict[str, str] = field(default_factory=dict)
    engaged: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def settings_for(self, tenant_id: str) -> TenantSettings:
        return TenantSettings(
            self.zones.get(tenant_id, "UTC"), engaged_events=self.engaged.get(tenant_id, ())
        )


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
        store_raw(db, RAW_ROWS)
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
def tenants() -> Tenants:
    return Tenants()


@pytest.fixture
def client(
    settings: Settings, clickhouse: ClickHouse, store: MemoryStore, tenants: Tenants
) -> Iterator[TestClient]:
    """The app over the test's chdb, an in-memory realtime store and tenants' zones, Kafka
    taken as up."""
    check: Check = kafka_up
    with TestClient(create_app(settings, clickhouse, store, check, tenants)) as test_client:
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
