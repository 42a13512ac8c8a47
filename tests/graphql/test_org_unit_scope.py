"""A token confined to org units sees only their messaging and helpdesk figures, compared with
figures counted here from the rows inserted; other units and tenants stay out."""

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

SENT = {("acme", "north"): 5, ("acme", "south"): 7, ("acme", "east"): 2, ("globex", "north"): 50}
# Conversations created without a reply: (tenant, org unit, id).
OPEN = [("acme", "north", "n1"), ("acme", "north", "n2"), ("acme", "south", "s1")]
OPEN += [("acme", "east", "e1"), ("globex", "north", "g1")]

FIGURES = """query($u: String) {
  messagingMetrics(from: "2025-03-10T00:00:00Z", to: "2025-03-11T00:00:00Z", granularity: DAY,
                   orgUnit: $u) { totals { sent } }
  helpdeskMetrics(from: "2025-03-10T00:00:00Z", to: "2025-03-11T00:00:00Z", granularity: DAY,
                  orgUnit: $u, asOf: "2025-03-11T00:00:00Z") { totals { conversationsCreated } }
  unansweredConversations(orgUnit: $u, asOf: "2025-03-11T00:00:00Z") { conversationId }
}"""


def rows() -> list[dict[str, Any]]:
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
        store_raw(db, rows())
        with TestClient(create_app(settings, db, MemoryStore(), kafka_up)) as test_client:
            yield test_client
    finally:
        db.close()


def expected(units: set[str]) -> tuple[int, int, list[str]]:
    """Messages sent, conversations created and unanswered ids of acme's ``units``."""
    sent = sum(n for (tenant, unit), n in SENT.items() if tenant == "acme" and unit in units)
    mine = sorted(c for tenant, unit, c in OPEN if tenant == "acme" and unit in units)
    return sent, len(mine), mine


def answer(body: dict[str, Any]) -> tuple[int, int, list[str]]:
    assert "errors" not in body, body
    data = body["data"]
    return (
        data["messagingMetrics"]["totals"]["sent"],
        data["helpdeskMetrics"]["totals"]["conversationsCreated"],
        sorted(c["conversationId"] for c in data["unansweredConversations"]),
    )


def test_confined_tokens_see_only_their_units(client: TestClient, settings: Settings) -> None:
    """One unit, several units, or none (the whole tenant): each sees exactly its units."""
    one = role_token(settings, ["analytics.view"], ["north"])
    two = role_token(settings, ["analytics.view"], ["north", "south"])
    whole = role_token(settings, ["analytics.view"])
    assert answer(graphql(client, FIGURES, bearer=one)) == expected({"north"})
    assert answer(graphql(client, FIGURES, bearer=two)) == expected({"north", "south"})
    assert answer(graphql(client, FIGURES, bearer=whole)) == expected({"north", "south", "east"})


def test_a_confined_token_may_narrow_to_one_of_its_units(
    client: TestClient, settings: Settings
) -> None:
    """orgUnit inside the token's units narrows to it; outside, every field is FORBIDDEN."""
    two = role_token(settings, ["analytics.view"], ["north", "south"])
    body = graphql(client, FIGURES, {"u": "south"}, bearer=two)
    assert answer(body) == expected({"south"})
    refused = graphql(client, FIGURES, {"u": "east"}, bearer=two)
    assert refused["data"] is None or all(v is None for v in refused["data"].values())
    codes = {e["extensions"]["code"] for e in refused["errors"]}
    assert codes == {"FORBIDDEN"}


def test_another_tenants_units_stay_out(client: TestClient, settings: Settings) -> None:
    """globex's north is not acme's north: a token of globex sees only globex's rows."""
    theirs = role_token(settings, ["analytics.view"], ["north"], tenant="globex")
    assert answer(graphql(client, FIGURES, bearer=theirs)) == (50, 1, ["g1"])
