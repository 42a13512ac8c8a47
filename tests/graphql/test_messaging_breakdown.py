"""messagingBreakdown on a seeded random tenant: rows, the rest and the total against counts
made here from the stored events, sorting, the zone's days, scope and argument checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from tests.graphql.conftest import MemoryStore, Tenants, graphql, kafka_up, store_raw, token
from tests.graphql.messaging_breakdown_dataset import (
    COUNTS,
    ZONE,
    Key,
    events,
    field,
    figures,
    grouped,
    local_day,
    ranked,
    rate,
)
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.clickhouse]

FIGURES = " ".join(COUNTS) + " deliveryRate readRate clickRate failureRate"
QUERY = f"""query($by: [MessagingDimension!]!, $sort: MessagingFigure!, $desc: Boolean!,
               $limit: Int!, $unit: String) {{
  messagingBreakdown(from: "2025-03-10T03:00:00Z", to: "2025-03-12T03:00:00Z", by: $by,
                     sortBy: $sort, descending: $desc, limit: $limit, orgUnit: $unit) {{
    timeZone by
    rows {{ keys {{ dimension value }} {FIGURES} }}
    other {{ groups {FIGURES} }}
    total {{ groups {FIGURES} }}
  }}
  messagingMetrics(from: "2025-03-10T03:00:00Z", to: "2025-03-12T03:00:00Z", granularity: DAY,
                   orgUnit: $unit) {{ totals {{ {FIGURES} }} }}
}}"""
EVENTS = events()


class NoRows:
    """A ClickHouse that must not be read: arguments are refused before any query."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        raise AssertionError("refused arguments reached ClickHouse")


@pytest.fixture
def unread(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, NoRows(), MemoryStore(), kafka_up)) as client:
        yield client


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    db = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        store_raw(db, EVENTS)
        tenants = Tenants(zones={"acme": ZONE})
        with TestClient(create_app(settings, db, MemoryStore(), kafka_up, tenants)) as client:
            yield client
    finally:
        db.close()


def ask(client: TestClient, bearer: str, **variables: Any) -> dict[str, Any]:
    given = {"sort": "SENT", "desc": True, "limit": 10, **variables}
    body = graphql(client, QUERY, given, bearer=bearer)
    assert "errors" not in body, body
    return body["data"]


def expected_row(names: list[str], key: Key, counts: Counter[str]) -> dict[str, Any]:
    keys = [{"dimension": n, "value": v} for n, v in zip(names, key, strict=True)]
    return {"keys": keys, **figures(counts)}


def test_two_dimension_rows_and_other_add_up_to_the_unfiltered_total(
    api: TestClient, settings: Settings
) -> None:
    """Channel by org unit by sent: the top 5 groups, the rest folded, the total the range's."""
    groups = grouped(EVENTS, field("channel"), field("org_unit"))
    order = ranked(groups, lambda c: c["sent"], desc=True)
    data = ask(api, token(settings), by=["CHANNEL", "ORG_UNIT"], limit=5)
    found = data["messagingBreakdown"]
    names = ["CHANNEL", "ORG_UNIT"]
    assert found["rows"] == [expected_row(names, k, groups[k]) for k in order[:5]]
    rest = sum((groups[k] for k in order[5:]), Counter())
    assert found["other"] == {"groups": len(order) - 5, **figures(rest)}
    everything = sum(groups.values(), Counter())
    assert found["total"] == {"groups": len(order), **figures(everything)}
    assert data["messagingMetrics"]["totals"] == figures(everything)
    for count in COUNTS:
        added = sum(r[count] for r in found["rows"]) + found["other"][count]
        assert added == found["total"][count], count


def test_rates_sort_with_nulls_last_and_other_rates_are_of_its_counts(
    api: TestClient, settings: Settings
) -> None:
    """Campaign by channel, by read rate as shown, smallest first: ties by key, nulls last,
    other's rate that of its counts."""
    groups = grouped(EVENTS, field("campaign_id"), field("channel"))

    def read_rate(c: Counter[str]) -> float | None:
        return rate(c["read"], c["delivered"])

    order = ranked(groups, read_rate, desc=False)
    names = ["CAMPAIGN", "CHANNEL"]
    every = ask(api, token(settings), by=names, sort="READ_RATE", desc=False, limit=1000)
    found = every["messagingBreakdown"]
    assert found["rows"] == [expected_row(names, k, groups[k]) for k in order]
    assert found["rows"][-1]["readRate"] is None
    assert found["other"] is None
    data = ask(api, token(settings), by=names, sort="READ_RATE", desc=False, limit=4)
    found = data["messagingBreakdown"]
    assert found["rows"] == [expected_row(names, k, groups[k]) for k in order[:4]]
    rest = sum((groups[k] for k in order[4:]), Counter())
    assert found["other"]["readRate"] == figures(rest)["readRate"]


def test_days_are_the_tenants_local_dates(api: TestClient, settings: Settings) -> None:
    """DAY groups by the local date in the tenant's zone, not the UTC one."""
    groups = grouped(EVENTS, local_day)
    data = ask(api, token(settings), by=["DAY"], sort="RECEIVED")
    found = data["messagingBreakdown"]
    assert found["timeZone"] == ZONE
    by_day = {r["keys"][0]["value"]: r["received"] for r in found["rows"]}
    assert by_day == {k[0]: c["received"] for k, c in groups.items()}
    assert found["other"] is None


def test_a_confined_token_breaks_down_its_own_units_only(
    api: TestClient, settings: Settings
) -> None:
    """A token of north sees north's groups and total; naming south is FORBIDDEN."""
    north = role_token(settings, ["analytics.view"], ["north"])
    groups = grouped(
        (e for e in EVENTS if e["org_unit"] == "north"), field("channel"), field("org_unit")
    )
    found = ask(api, north, by=["CHANNEL", "ORG_UNIT"])["messagingBreakdown"]
    assert {r["keys"][1]["value"] for r in found["rows"]} == {"north"}
    assert found["total"] == {"groups": len(groups), **figures(sum(groups.values(), Counter()))}
    body = graphql(
        api,
        QUERY,
        {"by": ["CHANNEL"], "sort": "SENT", "desc": True, "limit": 3, "unit": "south"},
        bearer=north,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("by", "limit", "argument"),
    [
        ([], 10, "by"),
        (["CHANNEL", "ORG_UNIT", "CAMPAIGN"], 10, "by"),
        (["CHANNEL", "CHANNEL"], 10, "by"),
        (["CHANNEL"], 0, "limit"),
        (["CHANNEL"], 1001, "limit"),
    ],
)
def test_bad_arguments_are_refused_naming_them(
    unread: TestClient, settings: Settings, by: list[str], limit: int, argument: str
) -> None:
    """No dimension, three, one twice, or a limit outside 1..1000: INVALID_ARGUMENT."""
    variables = {"by": by, "sort": "SENT", "desc": True, "limit": limit}
    body = graphql(unread, QUERY, variables, bearer=token(settings))
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_ARGUMENT", error
    assert error["extensions"]["argument"] == argument
