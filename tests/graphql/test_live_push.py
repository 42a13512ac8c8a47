"""A subscription is pushed the new figure within a second of the sink storing its tenant's rows,
and only its tenant's rows push it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from starlette.testclient import TestClient, WebSocketTestSession

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache
from pulse.sinks.sink import SinkRunner
from tests.graphql.conftest import Tenants, kafka_up, token
from tests.graphql.live_client import PROTOCOL, init, receive, subscribe
from tests.sinks.kafka_util import create_rows_topic, produce
from tests.sinks.rows import event

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.redis,
    pytest.mark.clickhouse,
    pytest.mark.timeout(120),
]

QUERY = "subscription { realtimeMessaging { tenantId total { sent } } }"


@dataclass
class StoreClock:
    """The sink's clock, remembering when it was read: the sink reads it once rows are stored
    and derived, just before caching them and telling the API."""

    reads: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        now = time.time()
        self.reads.append(now)
        return now

    def stored_after(self, instant: float) -> float:
        return next(t for t in self.reads if t >= instant)


@pytest.fixture
def sink(
    settings: Settings, kafka: str, redis_url: str, clickhouse: ClickHouse
) -> Iterator[StoreClock]:
    """A sink storing the test's hand-off topic into the API's chdb, in a thread."""
    create_rows_topic(settings, partitions=1)
    clock = StoreClock()
    fast = replace(settings, sink=replace(settings.sink, batch_seconds=0.05))
    runner = SinkRunner(fast, clickhouse, RealtimeCache(redis_url, 60), clock=clock)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    yield clock
    stop.set()
    thread.join(timeout=30)


@pytest.fixture
def tenant() -> str:
    """A tenant of this test only: Redis's realtime keys are not per pipeline."""
    return f"live-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client(
    settings: Settings, clickhouse: ClickHouse, redis_url: str, sink: StoreClock
) -> Iterator[TestClient]:
    store = RealtimeCache(redis_url, 60)
    app = create_app(settings, clickhouse, store, kafka_up, Tenants())
    with TestClient(app) as test_client:
        yield test_client


def sent_now(settings: Settings, tenant: str, count: int) -> int:
    """Produces ``count`` messages sent now; their occurred_at."""
    now = int(time.time() * 1000)
    rows = [event(tenant, f"{tenant}-{time.time_ns()}-{n}", occurred_at=now) for n in range(count)]
    produce(settings, [("events_raw", rows)])
    return now


def total_sent(message: dict[str, Any]) -> int:
    assert message["type"] == "next", message
    return int(message["payload"]["data"]["realtimeMessaging"]["total"]["sent"])


@contextmanager
def subscribed(
    client: TestClient, settings: Settings, tenant: str
) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as session:
        init(session, token(settings, tenant))
        assert receive(session)["type"] == "connection_ack"
        subscribe(session, QUERY)
        yield session


def test_a_stored_row_is_pushed_within_a_second(
    client: TestClient, settings: Settings, sink: StoreClock, tenant: str, redis_url: str
) -> None:
    """Rows stored by the sink reach the subscriber, figure updated, in under a second; the
    sink also keeps their time as the tenant's newest."""
    with subscribed(client, settings, tenant) as session:
        before = total_sent(receive(session))
        produced = time.time()
        newest = sent_now(settings, tenant, 2)
        pushed = receive(session)
        arrived = time.time()
    assert (before, total_sent(pushed)) == (0, 2)
    assert RealtimeCache(redis_url, 60).newest_event(tenant) == newest
    assert arrived - sink.stored_after(produced) < 1.0


def test_another_tenants_rows_push_nothing(
    client: TestClient, settings: Settings, sink: StoreClock, tenant: str
) -> None:
    """Another tenant's batch does not wake the subscription: the next push is its own row."""
    with subscribed(client, settings, tenant) as session:
        before = total_sent(receive(session))
        mark = time.time()
        sent_now(settings, tenant + "-other", 5)
        deadline = time.monotonic() + 60
        while not any(t >= mark for t in sink.reads) and time.monotonic() < deadline:
            time.sleep(0.05)
        sent_now(settings, tenant, 1)
        assert total_sent(receive(session)) == before + 1
    assert before == 0
