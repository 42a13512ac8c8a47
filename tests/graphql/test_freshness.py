"""Every answer says how fresh it is: the tenant's newest stored event, and which of its buckets
are still provisional (ending within the late window of that event) or final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.settings import Settings
from tests.graphql.conftest import DAY, H2, NEXT_DAY, MemoryStore, graphql, ms, token

pytestmark = pytest.mark.clickhouse

FRESHNESS = "freshness { newestEventAt finalBefore lateWindowSeconds }"


def hours(tenant: str | None = None) -> str:
    named = f', tenantId: "{tenant}"' if tenant else ""
    return (
        f'{{ messagingMetrics(from: "{DAY.isoformat()}", to: "{NEXT_DAY.isoformat()}",'
        f" granularity: HOUR{named}) {{ {FRESHNESS} buckets {{ end provisional }} }} }}"
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def provisional_ends(answer: dict[str, Any]) -> list[datetime]:
    return [at(b["end"]) for b in answer["buckets"] if b["provisional"]]


def test_buckets_ending_an_hour_before_the_newest_event_are_final(
    client: TestClient, settings: Settings, store: MemoryStore
) -> None:
    """Newest event 14:30: buckets ending by 13:30 are final, the later ones provisional."""
    newest = DAY + timedelta(hours=14, minutes=30)
    store.newest["acme"] = ms(newest)
    body = graphql(client, hours(), bearer=token(settings))
    answer = body["data"]["messagingMetrics"]
    assert answer["freshness"] == {
        "newestEventAt": "2025-03-10T14:30:00+00:00",
        "finalBefore": "2025-03-10T13:30:00+00:00",
        "lateWindowSeconds": 3600,
    }
    expected = [DAY + timedelta(hours=h) for h in range(14, 25)]
    assert provisional_ends(answer) == expected


def test_without_the_sinks_figure_clickhouse_says_how_fresh(
    client: TestClient, settings: Settings
) -> None:
    """Redis lacking the tenant, the newest stored occurred_at comes from events_raw."""
    body = graphql(client, hours(), bearer=token(settings))
    answer = body["data"]["messagingMetrics"]
    newest = H2.replace(minute=5)
    assert at(answer["freshness"]["newestEventAt"]) == newest
    # Final before 10:05: the 10:00-11:00 bucket is the first provisional one.
    assert provisional_ends(answer)[0] == datetime(2025, 3, 10, 11, tzinfo=UTC)


def test_a_tenant_without_events_has_no_final_bucket(
    client: TestClient, settings: Settings
) -> None:
    """No event stored: no newest time, no final horizon, every bucket provisional."""
    body = graphql(client, hours(), bearer=token(settings, "initech"))
    answer = body["data"]["messagingMetrics"]
    assert answer["freshness"]["newestEventAt"] is None
    assert answer["freshness"]["finalBefore"] is None
    assert len(provisional_ends(answer)) == 24


def test_every_family_answers_with_its_freshness(
    client: TestClient, settings: Settings, store: MemoryStore
) -> None:
    """Helpdesk, web and the realtime answers carry the same freshness for the tenant."""
    store.newest["acme"] = ms(datetime(2025, 3, 10, 20, tzinfo=UTC))
    span = f'from: "{DAY.isoformat()}", to: "{NEXT_DAY.isoformat()}", granularity: DAY'
    query = (
        f"{{ helpdeskMetrics({span}) {{ {FRESHNESS} buckets {{ provisional }} }}"
        f" webMetrics({span}) {{ {FRESHNESS} buckets {{ provisional }} }}"
        f" realtimeMessaging {{ {FRESHNESS} }} activeVisitors {{ {FRESHNESS} }} }}"
    )
    data = graphql(client, query, bearer=token(settings))["data"]
    seen = {name: answer["freshness"]["newestEventAt"] for name, answer in data.items()}
    assert set(seen.values()) == {"2025-03-10T20:00:00+00:00"}
    assert data["helpdeskMetrics"]["buckets"] == [{"provisional": True}]
    assert data["webMetrics"]["buckets"] == [{"provisional": True}]
