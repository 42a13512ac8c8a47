"""``webMetrics``, ``webBreakdown`` and ``activeVisitors`` over the API."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.families.web_events import action, store_web, view
from tests.graphql.conftest import MemoryStore, Tenants, graphql, token

pytestmark = pytest.mark.clickhouse

ROWS = [
    view("v1", "2026-03-02T10:00:00Z", "/home", referrer="https://google.com"),
    view("v1", "2026-03-02T10:10:00Z", "/pricing"),
    view("v2", "2026-03-02T23:30:00Z", "/home"),
    action("v2", "2026-03-02T23:31:00Z", "signup"),
    view("", "2026-03-02T11:00:00Z", "/home", dnt=True),
    view("v1", "2026-03-02T10:00:00Z", "/home", tenant="globex"),
]
METRICS = """
query ($filters: WebFilters, $zone: String) {
  webMetrics(from: "2026-03-02T00:00:00Z", to: "2026-03-04T00:00:00Z", granularity: DAY,
             timeZone: $zone, filters: $filters) {
    tenantId timeZone engagedEvents
    buckets { start localStart pageViews visitors sessions bounceRate avgSessionSeconds }
    totals { pageViews visitors sessions bounceRate avgSessionSeconds }
  }
}
"""
BREAKDOWN = """
query ($limit: Int!) {
  webBreakdown(dimension: PAGE, from: "2026-03-02T00:00:00Z", to: "2026-03-04T00:00:00Z",
               limit: $limit) {
    dimension rows { value visitors pageViews bounceRate }
  }
}
"""


def test_web_metrics_by_day(client: TestClient, clickhouse: ClickHouse, settings: Settings) -> None:
    """Two sessions (one a bounce), three page views plus a dnt one, two visitors in UTC."""
    store_web(clickhouse, ROWS)
    body = graphql(client, METRICS, {"zone": "UTC"}, token(settings))
    web = body["data"]["webMetrics"]
    assert web["engagedEvents"] == []
    assert web["totals"] == {
        "pageViews": 4,
        "visitors": 2,
        "sessions": 2,
        "bounceRate": 50.0,
        "avgSessionSeconds": 330.0,
    }
    assert [b["pageViews"] for b in web["buckets"]] == [4, 0]
    assert web["buckets"][1]["bounceRate"] is None


def test_the_tenant_zone_and_engaged_events_apply(
    client: TestClient, clickhouse: ClickHouse, settings: Settings, tenants: Tenants
) -> None:
    """In Lisbon's calendar v2's 23:30Z session stays on 2 March; with signup engaged it is no
    bounce."""
    store_web(clickhouse, ROWS)
    tenants.engaged = {"acme": ("signup",)}
    tenants.zones["acme"] = "Europe/Lisbon"
    web = graphql(client, METRICS, {}, token(settings))["data"]["webMetrics"]
    assert web["timeZone"] == "Europe/Lisbon"
    assert web["engagedEvents"] == ["signup"]
    assert web["totals"]["bounceRate"] == 0.0


def test_filters_narrow_every_figure(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    """Sessions from google: v1's session, its two page views, no bounce."""
    store_web(clickhouse, ROWS)
    variables = {"zone": "UTC", "filters": {"referrer": "https://google.com"}}
    totals = graphql(client, METRICS, variables, token(settings))["data"]["webMetrics"]["totals"]
    assert totals == {
        "pageViews": 2,
        "visitors": 1,
        "sessions": 1,
        "bounceRate": 0.0,
        "avgSessionSeconds": 600.0,
    }


def test_top_pages(client: TestClient, clickhouse: ClickHouse, settings: Settings) -> None:
    """/home: two visitors, three page views (one dnt), the bounce rate of sessions entering
    there; limited to one row."""
    store_web(clickhouse, ROWS)
    body = graphql(client, BREAKDOWN, {"limit": 1}, token(settings))
    rows = body["data"]["webBreakdown"]["rows"]
    assert rows == [{"value": "/home", "visitors": 2, "pageViews": 3, "bounceRate": 50.0}]


def test_a_limit_out_of_range_is_refused(client: TestClient, settings: Settings) -> None:
    """limit 0 is the caller's mistake, named in the error."""
    body = graphql(client, BREAKDOWN, {"limit": 0}, token(settings))
    assert "'limit'" in body["errors"][0]["message"]


def test_active_visitors_now_from_the_live_set(
    client: TestClient, settings: Settings, store: MemoryStore
) -> None:
    """Asked about now, the live set answers (a visitor seen 6 minutes ago is not active)."""
    now = time.time_ns() // 1_000_000
    store.active["acme"] = {"a": now - 1_000, "b": now - 60_000, "c": now - 360_000}
    body = graphql(client, "{ activeVisitors { count source } }", None, token(settings))
    assert body["data"]["activeVisitors"] == {"count": 2, "source": "REDIS"}


def test_active_visitors_in_the_past_from_clickhouse(
    client: TestClient, clickhouse: ClickHouse, settings: Settings, store: MemoryStore
) -> None:
    """At 10:12, v1 (10:10) is active and the dnt view is nobody; (t - 5 min, t] excludes
    an event exactly 5 minutes before."""
    store_web(clickhouse, ROWS)
    store.active["acme"] = {"x": 1}
    query = '{ activeVisitors(asOf: "%s") { count source } }'
    at_1012 = graphql(client, query % "2026-03-02T10:12:00Z", None, token(settings))
    assert at_1012["data"]["activeVisitors"] == {"count": 1, "source": "CLICKHOUSE"}
    at_1015 = graphql(client, query % "2026-03-02T10:15:00Z", None, token(settings))
    assert at_1015["data"]["activeVisitors"]["count"] == 0
    at_1105 = graphql(client, query % "2026-03-02T11:05:00Z", None, token(settings))
    assert at_1105["data"]["activeVisitors"]["count"] == 0


BREAKDOWN_BY = """
query {
  webBreakdownBy(by: [PAGE, REFERRER], from: "2026-03-02T00:00:00Z",
                 to: "2026-03-04T00:00:00Z", sortBy: PAGE_VIEWS, limit: 1) {
    rows { keys { dimension value } pageViews visitors }
    other { groups pageViews visitors }
    total { groups pageViews visitors sessions }
  }
}
"""


def test_pages_by_referrer_fold_the_rest_with_distinct_visitors(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    """/home without referrer (v2 and the dnt view) leads; /home and /pricing from google (a
    session value: v1's session came from google) fold into other, whose visitor is v1 once."""
    store_web(clickhouse, ROWS)
    body = graphql(client, BREAKDOWN_BY, None, token(settings))
    found = body["data"]["webBreakdownBy"]
    assert found["rows"] == [
        {
            "keys": [
                {"dimension": "PAGE", "value": "/home"},
                {"dimension": "REFERRER", "value": None},
            ],
            "pageViews": 2,
            "visitors": 1,
        }
    ]
    assert found["other"] == {"groups": 2, "pageViews": 2, "visitors": 1}
    assert found["total"] == {"groups": 3, "pageViews": 4, "visitors": 2, "sessions": 2}
