"""The drill-down fields over HTTP: pages that cover a figure's rows once, tenants and org units
kept apart, sessions refused to a token confined to org units."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.graphql.conftest import H0, MemoryStore, graphql, kafka_up, messages, raw, store_raw
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.clickhouse]

SENT = {("acme", "north"): 5, ("acme", "south"): 4, ("globex", "north"): 6}
OPEN = [("acme", "north", "n1"), ("acme", "south", "s1"), ("globex", "north", "g1")]
RANGE = 'from: "2025-03-10T00:00:00Z", to: "2025-03-11T00:00:00Z"'
EVENTS = (
    "query($after: String, $u: String) { eventRows("
    + RANGE
    + ", first: 3, after: $after, orgUnit: $u)"
    " { rows { eventId eventType orgUnit } cursor hasMore } }"
)
CONVERSATIONS = (
    "query($after: String, $u: String) { conversationRows("
    + RANGE
    + ', asOf: "2025-03-11T00:00:00Z", first: 1, after: $after, orgUnit: $u)'
    " { rows { conversationId orgUnit slaState } cursor hasMore } }"
)
SESSIONS = "{ sessionRows(" + RANGE + ") { rows { visitorId } } }"


def stored() -> list[dict[str, Any]]:
    found = []
    for (tenant, unit), count in SENT.items():
        found += messages("sent", count, H0, "email", tenant, org_unit=unit)
    for tenant, unit, conversation in OPEN:
        fields = {"org_unit": unit, "conversation_id": conversation}
        found.append(raw("conversation.created", H0, "email", tenant, **fields))
    return found


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    db: ClickHouse = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        store_raw(db, stored())
        with TestClient(create_app(settings, db, MemoryStore(), kafka_up)) as test_client:
            yield test_client
    finally:
        db.close()


def every(client: TestClient, query: str, bearer: str, unit: str | None = None) -> list[Any]:
    field = "eventRows" if "eventRows" in query else "conversationRows"
    found, after = [], None
    while True:
        body = graphql(client, query, {"after": after, "u": unit}, bearer=bearer)
        page = body["data"][field]
        found += page["rows"]
        if not page["hasMore"]:
            return found
        after = page["cursor"]


def expected_events(units: set[str]) -> list[tuple[str, str]]:
    """(type, org unit) of acme's events in ``units``, in the key order (type, time)."""
    rows = [r for r in stored() if r["tenant_id"] == "acme" and r["org_unit"] in units]
    rows.sort(key=lambda r: (r["event_type"], r["occurred_at"], r["event_id"]))
    return [(r["event_type"], r["org_unit"]) for r in rows]


def test_pages_of_events_cover_the_tenant_once(client: TestClient, settings: Settings) -> None:
    """A tenant-wide token pages through every acme event exactly once, in key order."""
    rows = every(client, EVENTS, role_token(settings, ["analytics.view"]))
    assert [(r["eventType"], r["orgUnit"]) for r in rows] == expected_events({"north", "south"})
    assert len({r["eventId"] for r in rows}) == len(rows)


def test_a_confined_token_sees_only_its_units_rows(client: TestClient, settings: Settings) -> None:
    """A token of north gets north's events and conversations; sessions are FORBIDDEN to it."""
    bearer = role_token(settings, ["analytics.view"], ["north"])
    rows = every(client, EVENTS, bearer)
    assert [(r["eventType"], r["orgUnit"]) for r in rows] == expected_events({"north"})
    conversations = every(client, CONVERSATIONS, bearer)
    assert conversations == [{"conversationId": "n1", "orgUnit": "north", "slaState": "BREACHED"}]
    body = graphql(client, SESSIONS, bearer=bearer)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_a_cursor_from_another_field_is_an_invalid_argument(
    client: TestClient, settings: Settings
) -> None:
    """An events cursor given to conversationRows is refused as INVALID_ARGUMENT."""
    bearer = role_token(settings, ["analytics.view"])
    cursor = graphql(client, EVENTS, bearer=bearer)["data"]["eventRows"]["cursor"]
    body = graphql(client, CONVERSATIONS, {"after": cursor}, bearer=bearer)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
