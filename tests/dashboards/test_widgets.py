"""A dashboard's widgets answered in one request, each as its query would be sent alone: the same
figures, the same refusals, with the dashboard's default filters and the viewer's overrides."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from pulse.dashboards.book import DashboardBook
from pulse.dashboards.model import Dashboard, Widget
from pulse.dashboards.widget_queries import variables_of
from pulse.graphql.app import create_app
from pulse.graphql.audit import AuditRecord
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.dashboards.conftest import (
    CREATE,
    VIEW,
    Caller,
    Recorder,
    apply_topics,
    caller,
    code,
)
from tests.graphql.conftest import MemoryStore, kafka_up
from tests.graphql.live_client import PROTOCOL, init, receive
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

DAY, NEXT_DAY = "2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z"
TOTALS = """query T($from: DateTime!, $to: DateTime!, $channel: String) {
  messagingMetrics(from: $from, to: $to, granularity: HOUR, channel: $channel) {
    totals { sent delivered } buckets { start sent } } }"""
WEB = """query W($from: DateTime!, $to: DateTime!) {
  webMetrics(from: $from, to: $to, granularity: DAY) { totals { pageViews } } }"""
SHOW = """query($id: ID!, $filters: JSON) { dashboard(id: $id, filters: $filters) {
  widgets { id data errors { message code } } } }"""
ONE_DAY = {"from": DAY, "to": NEXT_DAY}


def widget(widget_id: str, query: str, **variables: Any) -> dict[str, Any]:
    return {"id": widget_id, "title": widget_id, "kind": "TIMESERIES", "query": query,
            "variables": variables}  # fmt: skip


def overview(client: TestClient, settings: Settings) -> str:
    """Acme's tenant-wide dashboard: email by default, one widget on whatsapp, one on the web."""
    given = {
        "name": "overview",
        "visibility": "TENANT",
        "filters": {"channel": "email", **ONE_DAY},
        "widgets": [
            widget("email", TOTALS),
            widget("whatsapp", TOTALS, channel="whatsapp"),
            widget("web", WEB),
        ],
    }
    body = caller(client, settings)(CREATE, input=given)
    dashboard_id: str = body["data"]["createDashboard"]["id"]
    return dashboard_id


def test_one_request_answers_every_widget_as_its_query_alone(
    api: TestClient, settings: Settings
) -> None:
    """Each widget's data equals its query sent alone with the dashboard's merged variables."""
    ana = caller(api, settings)
    shown = ana(SHOW, id=overview(api, settings))["data"]["dashboard"]["widgets"]
    alone = {
        "email": ana(TOTALS, channel="email", **ONE_DAY)["data"],
        "whatsapp": ana(TOTALS, channel="whatsapp", **ONE_DAY)["data"],
        "web": ana(WEB, **ONE_DAY)["data"],
    }
    assert {w["id"]: w["data"] for w in shown} == alone
    assert all(w["errors"] == [] for w in shown)
    # tests/graphql/conftest.py's rows: email sent 15 in H0 and 1 in H2; whatsapp 3 + 2 replies.
    assert alone["email"]["messagingMetrics"]["totals"] == {"sent": 16, "delivered": 12}
    assert alone["whatsapp"]["messagingMetrics"]["totals"]["sent"] == 5


def test_the_viewers_filters_override_the_dashboards(api: TestClient, settings: Settings) -> None:
    """Filters given with the request win over the defaults and each widget's own values."""
    ana = caller(api, settings)
    shown = ana(SHOW, id=overview(api, settings), filters={"channel": "whatsapp"})
    widgets = {w["id"]: w["data"] for w in shown["data"]["dashboard"]["widgets"]}
    whatsapp = ana(TOTALS, channel="whatsapp", **ONE_DAY)["data"]
    assert widgets["email"] == widgets["whatsapp"] == whatsapp


def test_a_widget_is_refused_as_its_query_would_be(api: TestClient, settings: Settings) -> None:
    """A confined token gets its scoped figures; the web widget alone is FORBIDDEN."""
    dashboard_id = overview(api, settings)
    sales = caller(api, settings, "bob", [VIEW], ["sales"])
    shown = sales(SHOW, id=dashboard_id)
    assert code(shown) is None
    widgets = {w["id"]: w for w in shown["data"]["dashboard"]["widgets"]}
    web_alone = sales(WEB, **ONE_DAY)
    assert code(web_alone) == "FORBIDDEN"
    assert widgets["web"]["data"] == web_alone["data"] == {"webMetrics": None}
    assert [e["code"] for e in widgets["web"]["errors"]] == ["FORBIDDEN"]
    alone = sales(TOTALS, channel="whatsapp", **ONE_DAY)["data"]
    assert widgets["whatsapp"]["data"] == alone
    assert alone["messagingMetrics"]["totals"]["sent"] == 3


def test_a_relative_range_is_computed_when_shown() -> None:
    """last_24h sets from/to to the day before now, over the defaults; overrides still win."""
    board = Dashboard(
        "d1", "acme", "n", "tenant", "ana", 0, 0, filters={"channel": "email", "from": "x"}
    )
    last_day = Widget("w", "t", "number", "{ __typename }", {"channel": "sms"}, "last_24h")
    now = int(datetime(2025, 3, 10, 12, tzinfo=UTC).timestamp() * 1000)
    assert variables_of(board, last_day, now, {}) == {
        "channel": "sms",
        "from": "2025-03-09T12:00:00Z",
        "to": "2025-03-10T12:00:00Z",
    }
    assert variables_of(board, last_day, now, {"to": "y"})["to"] == "y"


def test_a_picked_range_replaces_every_widgets_own() -> None:
    """A picked last_7d replaces a widget's last_24h; custom leaves the variables' from/to."""
    board = Dashboard("d1", "acme", "n", "tenant", "ana", 0, 0, filters={"from": "f", "to": "t"})
    last_day = Widget("w", "t", "number", "{ __typename }", {}, "last_24h")
    now = int(datetime(2025, 3, 10, 12, tzinfo=UTC).timestamp() * 1000)
    week = variables_of(board, last_day, now, {}, "last_7d")
    assert (week["from"], week["to"]) == ("2025-03-03T12:00:00Z", "2025-03-10T12:00:00Z")
    custom = variables_of(board, last_day, now, {}, "custom")
    assert (custom["from"], custom["to"]) == ("f", "t")


@pytest.fixture
def audited(
    settings: Settings, kafka: str, clickhouse: ClickHouse
) -> Iterator[tuple[TestClient, list[AuditRecord]]]:
    """The dashboards API with its audit records kept in a list."""
    apply_topics(settings)
    audits: list[AuditRecord] = []
    book = DashboardBook.open(settings)
    try:
        app = create_app(
            settings, clickhouse, MemoryStore(), kafka_up, audit=Recorder(audits), dashboards=book
        )
        with TestClient(app) as client:
            yield client, audits
    finally:
        book.close()


def test_each_widget_is_audited_as_its_own_query(
    audited: tuple[TestClient, list[AuditRecord]], settings: Settings
) -> None:
    """A dashboard query records the read and each widget query with its viewer and outcome."""
    client, audits = audited
    dashboard_id = overview(client, settings)
    audits.clear()
    sales = caller(client, settings, "bob", [VIEW], ["sales"])
    assert code(sales(SHOW, id=dashboard_id)) is None
    assert sorted(r.fields[0] for r in audits) == [
        "dashboard",
        "messagingMetrics",
        "messagingMetrics",
        "webMetrics",
    ]
    assert all(r.subject == "bob" and r.org_units == ["sales"] for r in audits)
    widget_outcomes = sorted((r.fields[0], r.outcome) for r in audits if r.fields != ["dashboard"])
    assert widget_outcomes == [
        ("messagingMetrics", "ok"),
        ("messagingMetrics", "ok"),
        ("webMetrics", "forbidden"),
    ]


def test_a_live_dashboard_is_audited_once_with_its_pushes_and_widgets(
    audited: tuple[TestClient, list[AuditRecord]], settings: Settings, redis_url: str
) -> None:
    """Two pushes of a live dashboard make one record counting them, none per widget."""
    client, audits = audited
    dashboard_id = overview(client, settings)
    audits.clear()
    live = "subscription L($id: ID!) { dashboard(id: $id) { widgets { id data } } }"
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as socket:
        init(socket, role_token(settings, [VIEW], subject="ana"))
        assert receive(socket)["type"] == "connection_ack"
        socket.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": live, "variables": {"id": dashboard_id}},
            }
        )
        assert receive(socket)["type"] == "next"
        touched = redis.Redis.from_url(settings.redis.url)
        touched.publish(f"{settings.kafka.topic_prefix}:live:touched", json.dumps(["acme"]))
        touched.close()
        assert receive(socket)["type"] == "next"
        socket.send_json({"id": "1", "type": "complete"})
    deadline = time.monotonic() + 10
    while not audits and time.monotonic() < deadline:
        time.sleep(0.05)
    (record,) = audits
    assert (record.operation_type, record.fields, record.subject) == (
        "subscription",
        ["dashboard"],
        "ana",
    )
    live_tally = json.loads(record.arguments)["@live"]
    assert live_tally == {"pushes": 2, "widgets": {"email": 2, "web": 2, "whatsapp": 2}}


def test_an_embed_tokens_records_name_its_dashboard(
    audited: tuple[TestClient, list[AuditRecord]], settings: Settings
) -> None:
    """An embed token's reads are recorded as embed:<dashboard>:<minter>, not as its minter's."""
    client, audits = audited
    dashboard_id = overview(client, settings)
    ana = caller(client, settings)
    embed = "mutation($id: ID!) { embedToken(dashboardId: $id) { token } }"
    token = ana(embed, id=dashboard_id)["data"]["embedToken"]["token"]
    audits.clear()
    assert code(Caller(client, token)(SHOW, id=dashboard_id)) is None
    assert len(audits) == 4
    assert {r.subject for r in audits} == {f"embed:{dashboard_id}:ana"}
