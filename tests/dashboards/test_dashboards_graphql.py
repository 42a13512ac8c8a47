"""Dashboards through GraphQL on the real broker: created, changed and deleted, checked whole,
shown to whom their visibility says, and kept to their tenant."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.services import open_dashboards
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.dashboards.conftest import (
    CREATE,
    DELETE,
    LIST,
    ONE,
    UPDATE,
    VIEW,
    caller,
    code,
)
from tests.graphql.conftest import MemoryStore, kafka_up

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

TOTALS = """query T($from: DateTime!, $to: DateTime!, $channel: String) {
  messagingMetrics(from: $from, to: $to, granularity: HOUR, channel: $channel) {
    totals { sent delivered } } }"""


def dashboard_input(**changes: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "name": "Support overview",
        "visibility": "TENANT",
        "filters": {"channel": "email"},
        "widgets": [
            {
                "id": "sent",
                "title": "Sent",
                "kind": "NUMBER",
                "query": TOTALS,
                "range": "LAST_7D",
                "position": {"x": 0, "y": 0, "w": 4, "h": 2},
            }
        ],
    }
    given.update(changes)
    return given


def test_create_update_delete_round_trip(api: TestClient, settings: Settings) -> None:
    """A created dashboard is listed and read back as saved; a change replaces it; delete ends."""
    ana = caller(api, settings)
    made = ana(CREATE, input=dashboard_input())["data"]["createDashboard"]
    assert (made["tenantId"], made["createdBy"], made["visibility"]) == ("acme", "ana", "TENANT")
    assert made["filters"] == {"channel": "email"}
    (widget,) = made["widgets"]
    assert (widget["id"], widget["kind"], widget["range"], widget["query"]) == (
        "sent",
        "NUMBER",
        "LAST_7D",
        TOTALS,
    )
    assert widget["position"] == {"x": 0, "y": 0, "w": 4, "h": 2}
    assert ana(LIST)["data"]["dashboards"] == [{"id": made["id"], "name": "Support overview"}]
    assert ana(ONE, id=made["id"])["data"]["dashboard"] == made

    changed = ana(UPDATE, id=made["id"], input=dashboard_input(name="Renamed", widgets=[]))
    updated = changed["data"]["updateDashboard"]
    assert (updated["id"], updated["name"], updated["widgets"]) == (made["id"], "Renamed", [])
    assert ana(ONE, id=made["id"])["data"]["dashboard"]["name"] == "Renamed"

    assert ana(DELETE, id=made["id"])["data"]["deleteDashboard"]["name"] == "Renamed"
    assert ana(LIST)["data"]["dashboards"] == []
    gone = ana(ONE, id=made["id"])
    assert (code(gone), gone["errors"][0]["extensions"]["field"]) == ("INVALID_ARGUMENT", "id")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"visibility": "ORG_UNIT"}, "orgUnit"),
        ({"visibility": "TENANT", "orgUnit": "north"}, "orgUnit"),
        ({"filters": ["channel"]}, "filters"),
        ({"widgets": [{"id": "w", "title": "t", "kind": "NUMBER", "query": "{ nope }"}]}, None),
        ({"widgets": [{"id": "w", "title": "t", "kind": "NUMBER", "query": "query {"}]}, None),
        (
            {"widgets": [{"id": "w", "title": "t", "kind": "NUMBER", "query": "mutation { x }"}]},
            None,
        ),
        (
            {"widgets": [{"id": "w", "title": "t", "kind": "NUMBER", "query": LIST}]},
            None,
        ),
        (
            {
                "widgets": [
                    {"id": "w", "title": "t", "kind": "NUMBER", "query": TOTALS},
                    {"id": "w", "title": "u", "kind": "BARS", "query": TOTALS},
                ]
            },
            "widgets.id",
        ),
        (
            {
                "widgets": [
                    {
                        "id": "w",
                        "title": "t",
                        "kind": "NUMBER",
                        "query": TOTALS,
                        "position": {"x": 10, "w": 4},
                    }
                ]
            },
            "position",
        ),
    ],
)
def test_an_invalid_dashboard_is_refused_naming_the_field(
    api: TestClient, settings: Settings, changes: dict[str, Any], field: str | None
) -> None:
    """A bad name, visibility, filter, layout or widget query is INVALID_ARGUMENT naming it."""
    body = caller(api, settings)(CREATE, input=dashboard_input(**changes))
    assert code(body) == "INVALID_ARGUMENT", body
    assert body["errors"][0]["extensions"]["field"] == (field or "widgets.query")
    assert caller(api, settings)(LIST)["data"]["dashboards"] == []


def test_a_private_dashboard_needs_a_named_author(api: TestClient, settings: Settings) -> None:
    """A token without a subject cannot save a dashboard only its author would see."""
    body = caller(api, settings, subject="")(CREATE, input=dashboard_input(visibility="PRIVATE"))
    assert code(body) == "INVALID_ARGUMENT"
    assert body["errors"][0]["extensions"]["field"] == "visibility"


def test_visibility_decides_who_sees_a_dashboard(api: TestClient, settings: Settings) -> None:
    """Private: its author only; org_unit: tokens covering that unit; tenant: every token."""
    ana = caller(api, settings, "ana")
    made = {
        "private": ana(CREATE, input=dashboard_input(name="private", visibility="PRIVATE")),
        "north": ana(
            CREATE, input=dashboard_input(name="north", visibility="ORG_UNIT", orgUnit="north")
        ),
        "tenant": ana(CREATE, input=dashboard_input(name="tenant")),
    }
    ids = {name: body["data"]["createDashboard"]["id"] for name, body in made.items()}
    readers = {
        "ana (author)": (caller(api, settings, "ana", [VIEW]), {"private", "north", "tenant"}),
        "bob, whole tenant": (caller(api, settings, "bob", [VIEW]), {"north", "tenant"}),
        "bob in north": (caller(api, settings, "bob", [VIEW], ["north"]), {"north", "tenant"}),
        "bob in south": (caller(api, settings, "bob", [VIEW], ["south"]), {"tenant"}),
        "ana in south": (caller(api, settings, "ana", [VIEW], ["south"]), {"private", "tenant"}),
    }
    for who, (reader, expected) in readers.items():
        listed = {d["name"] for d in reader(LIST)["data"]["dashboards"]}
        assert listed == expected, who
        for name, dashboard_id in ids.items():
            body = reader(ONE, id=dashboard_id)
            assert (code(body) is None) == (name in expected), (who, name)


def test_managing_follows_the_token(api: TestClient, settings: Settings) -> None:
    """View alone cannot change dashboards; a confined manager cannot share outside its units
    nor change a tenant-wide one, and cannot touch what it cannot see."""
    ana = caller(api, settings, "ana")
    tenant_wide = ana(CREATE, input=dashboard_input())["data"]["createDashboard"]["id"]
    private = ana(CREATE, input=dashboard_input(visibility="PRIVATE"))["data"]["createDashboard"]
    viewer = caller(api, settings, "bob", [VIEW])
    assert code(viewer(CREATE, input=dashboard_input())) == "FORBIDDEN"
    assert code(viewer(DELETE, id=tenant_wide)) == "FORBIDDEN"
    north = caller(api, settings, "bob", None, ["north"])
    assert code(north(CREATE, input=dashboard_input())) == "FORBIDDEN"
    south = dashboard_input(visibility="ORG_UNIT", orgUnit="south")
    assert code(north(CREATE, input=south)) == "FORBIDDEN"
    own = dashboard_input(visibility="ORG_UNIT", orgUnit="north")
    own_id = north(CREATE, input=own)["data"]["createDashboard"]["id"]
    assert code(north(UPDATE, id=own_id, input=own)) is None
    assert code(north(DELETE, id=tenant_wide)) == "FORBIDDEN"
    assert code(caller(api, settings, "bob")(DELETE, id=private["id"])) == "INVALID_ARGUMENT"
    assert code(ana(ONE, id=private["id"])) is None


def test_dashboards_stay_in_their_tenant(api: TestClient, settings: Settings) -> None:
    """Another tenant neither lists, reads, changes nor deletes a dashboard, even by its id."""
    ana = caller(api, settings, "ana")
    made = ana(CREATE, input=dashboard_input())["data"]["createDashboard"]["id"]
    other = caller(api, settings, "ana", tenant="globex")
    assert other(LIST)["data"]["dashboards"] == []
    assert code(other(ONE, id=made)) == "INVALID_ARGUMENT"
    assert code(other(UPDATE, id=made, input=dashboard_input())) == "INVALID_ARGUMENT"
    assert code(other(DELETE, id=made)) == "INVALID_ARGUMENT"
    foreign = dashboard_input(tenantId="acme")
    assert code(other(CREATE, input=foreign)) == "FORBIDDEN"
    assert code(other('query { dashboards(tenantId: "acme") { id } }')) == "FORBIDDEN"
    assert [d["id"] for d in ana(LIST)["data"]["dashboards"]] == [made]


def test_without_the_topic_the_api_serves_on_and_dashboards_say_unavailable(
    settings: Settings, kafka: str, clickhouse: ClickHouse
) -> None:
    """open_dashboards gives None when the dashboards topic is missing; the dashboard fields then
    answer UNAVAILABLE, naming the command that creates the topics."""
    assert open_dashboards(settings) is None
    with TestClient(create_app(settings, clickhouse, MemoryStore(), kafka_up)) as client:
        body = caller(client, settings)(LIST)
    assert code(body) == "UNAVAILABLE"
    assert "pulse topics apply" in body["errors"][0]["extensions"]["suggestion"]
