"""helpdeskBreakdown on a seeded random helpdesk: every group's figures, the rest's exact
percentiles and the total against figures worked out here from the conversations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from tests.families.events import store
from tests.graphql.conftest import MemoryStore, Tenants, graphql, kafka_up, token
from tests.graphql.helpdesk_breakdown_dataset import (
    Conversation,
    conversations,
    events,
    figures,
    frts,
    grouped,
    rank,
)
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.clickhouse]

STORY = conversations()
FIGURES = (
    "conversationsCreated conversationsResolved conversationsReopened firstResponses"
    " frtAvgSeconds frtP50Seconds frtP90Seconds resolutions resolutionAvgSeconds"
    " resolutionP50Seconds resolutionP90Seconds slaMet slaBreached slaBreachRate backlog"
    " csatResponses csatAvg csatPercent"
)
RANGE = 'from: "2025-03-10T00:00:00Z", to: "2025-03-12T00:00:00Z", asOf: "2025-03-12T00:00:00Z"'
QUERY = f"""query($by: [HelpdeskDimension!]!, $sort: HelpdeskFigure!, $limit: Int!,
               $unit: String) {{
  helpdeskBreakdown({RANGE}, by: $by, sortBy: $sort, limit: $limit, orgUnit: $unit) {{
    rows {{ keys {{ dimension value }} {FIGURES} }}
    other {{ groups {FIGURES} }}
    total {{ groups {FIGURES} }}
  }}
  helpdeskMetrics({RANGE}, granularity: DAY, orgUnit: $unit) {{ totals {{ {FIGURES} }} }}
}}"""
# Figures that add up over groups.
ADDITIVE = [
    "conversationsCreated",
    "conversationsResolved",
    "conversationsReopened",
    "firstResponses",
    "resolutions",
    "slaMet",
    "slaBreached",
    "backlog",
    "csatResponses",
]


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    db = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        store(db, events(STORY))
        with TestClient(create_app(settings, db, MemoryStore(), kafka_up, Tenants())) as client:
            yield client
    finally:
        db.close()


def ask(client: TestClient, bearer: str, **variables: Any) -> dict[str, Any]:
    body = graphql(client, QUERY, {"unit": None, **variables}, bearer=bearer)
    assert "errors" not in body, body
    return body["data"]


def everyone(_: Conversation) -> bool:
    return True


def test_priority_by_agent_rows_other_and_total_match_the_conversations(
    api: TestClient, settings: Settings
) -> None:
    """Sorted by FRT p90: each row's figures, the rest's exact ones, additive ones add up."""
    by = ("priority", "agent")
    groups = grouped(STORY, by, everyone)

    def p90(key: tuple[str, ...]) -> tuple[Any, ...]:
        values = frts(groups[key])
        top = rank(values, 90) if values else None
        return (top is None, -(top or 0), key)

    order = sorted(groups, key=p90)
    data = ask(api, token(settings), by=["PRIORITY", "AGENT"], sort="FRT_P90_SECONDS", limit=5)
    found = data["helpdeskBreakdown"]
    assert found["rows"] == [
        {
            "keys": [
                {"dimension": "PRIORITY", "value": k[0]},
                {"dimension": "AGENT", "value": k[1]},
            ],
            **figures(groups[k]),
        }
        for k in order[:5]
    ]
    rest = [c for k in order[5:] for c in groups[k]]
    assert found["other"] == {"groups": len(order) - 5, **figures(rest)}
    assert found["total"] == {"groups": len(order), **figures(STORY)}
    assert data["helpdeskMetrics"]["totals"] == figures(STORY)
    for name in ADDITIVE:
        added = sum(r[name] for r in found["rows"]) + found["other"][name]
        assert added == found["total"][name], name


def test_every_group_of_one_dimension_is_exact(api: TestClient, settings: Settings) -> None:
    """By channel, all groups listed: each group's figures are its conversations'."""
    groups = grouped(STORY, ("channel",), everyone)
    found = ask(api, token(settings), by=["CHANNEL"], sort="CONVERSATIONS_CREATED", limit=1000)
    rows = found["helpdeskBreakdown"]["rows"]
    assert {r["keys"][0]["value"]: {n: r[n] for n in FIGURES.split()} for r in rows} == {
        k[0]: figures(g) for k, g in groups.items()
    }
    assert found["helpdeskBreakdown"]["other"] is None


def test_a_confined_token_breaks_down_its_own_unit(api: TestClient, settings: Settings) -> None:
    """A token of north: its groups and totals are north's conversations only."""
    north = role_token(settings, ["analytics.view"], ["north"])
    mine = [c for c in STORY if c.org_unit == "north"]
    groups = grouped(mine, ("org_unit", "agent"), everyone)
    found = ask(api, north, by=["ORG_UNIT", "AGENT"], sort="BACKLOG", limit=1000)
    answer = found["helpdeskBreakdown"]
    assert {r["keys"][0]["value"] for r in answer["rows"]} == {"north"}
    assert answer["total"] == {"groups": len(groups), **figures(mine)}
