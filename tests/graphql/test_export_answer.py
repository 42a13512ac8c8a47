"""``/export`` of a metric answer: a query's buckets as CSV and Parquet equal to the GraphQL
answer, refused like the query, and cut at the tenant's row limit under the API's."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from pulse.dashboards.book import DashboardBook
from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings
from tests.dashboards.conftest import CREATE, LIST, MANAGE, apply_topics
from tests.dashboards.test_dashboards_graphql import dashboard_input
from tests.families.web_events import store_web, view
from tests.graphql.conftest import DAY, NEXT_DAY, MemoryStore, graphql, kafka_up
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.clickhouse]

VIEW = ["analytics.view"]
QUERY = """
query M($from: DateTime!, $to: DateTime!, $channel: String) {
  messagingMetrics(from: $from, to: $to, granularity: HOUR, channel: $channel) {
    totals { sent }
    buckets { start sent deliveryRate provisional firstResponse { conversations frtAvgSeconds } }
  }
}
"""
VARIABLES = {"from": DAY.isoformat(), "to": NEXT_DAY.isoformat(), "channel": "email"}


@dataclass
class Limits:
    """Every tenant at the defaults but its own export row limit."""

    rows: dict[str, int] = field(default_factory=dict)

    def settings_for(self, tenant_id: str) -> TenantSettings:
        return TenantSettings(export_row_limit=self.rows.get(tenant_id))


@pytest.fixture
def limits() -> Limits:
    return Limits()


@pytest.fixture
def api(settings: Settings, clickhouse: ClickHouse, limits: Limits) -> Iterator[TestClient]:
    """The API over the known rows, with an API-wide export limit of 20 rows."""
    capped = replace(settings, api=replace(settings.api, export_row_limit=20))
    with TestClient(create_app(capped, clickhouse, MemoryStore(), kafka_up, limits)) as client:
        yield client


def flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A bucket's fields, a nested object's under its path (``firstResponse.conversations``)."""
    found: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, dict):
            found.update(flat(value, f"{prefix}{name}."))
        else:
            found[f"{prefix}{name}"] = value
    return found


def buckets(client: TestClient, bearer: str) -> list[dict[str, Any]]:
    body = graphql(client, QUERY, VARIABLES, bearer=bearer)
    assert "errors" not in body, body
    return [flat(b) for b in body["data"]["messagingMetrics"]["buckets"]]


def export(client: TestClient, bearer: str, fmt: str, query: str = QUERY) -> Any:
    body = {"query": query, "variables": VARIABLES, "format": fmt}
    return client.post("/export", json=body, headers={"Authorization": f"Bearer {bearer}"})


def test_buckets_as_parquet_and_csv_equal_the_graphql_answer(
    settings: Settings, clickhouse: ClickHouse
) -> None:
    """24 hourly buckets, nested figures flattened, read back with pyarrow and csv as answered."""
    api = TestClient(create_app(settings, clickhouse, MemoryStore(), kafka_up, Limits()))
    bearer = role_token(settings, VIEW)
    expected = buckets(api, bearer)
    assert len(expected) == 24 and sum(b["sent"] for b in expected) == 16
    parquet = export(api, bearer, "parquet")
    assert parquet.status_code == 200, parquet.text
    assert 'filename="messagingMetrics.parquet"' in parquet.headers["content-disposition"]
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column_names == list(expected[0])
    assert table.to_pylist() == expected
    assert str(table.schema.field("sent").type) == "int64"
    assert str(table.schema.field("firstResponse.frtAvgSeconds").type) == "double"
    read = list(csv.DictReader(io.StringIO(export(api, bearer, "csv").text)))
    as_text = [{k: "" if v is None else str(v) for k, v in b.items()} for b in expected]
    assert read == as_text


def test_a_metric_export_is_refused_like_the_query(api: TestClient, settings: Settings) -> None:
    """No view role, an embed token or another tenant: 403; two root fields or no rows: 400."""
    assert export(api, role_token(settings, ["analytics.manage"]), "csv").status_code == 403
    embed = role_token(settings, VIEW, dashboard="d1")
    assert export(api, embed, "csv").status_code == 403
    bearer = role_token(settings, VIEW)
    other = QUERY.replace("channel: $channel)", 'channel: $channel, tenantId: "globex")')
    assert export(api, bearer, "csv", other).status_code == 403
    two = "{ a: realtimeMessaging { tenantId } b: realtimeMessaging { tenantId } }"
    assert export(api, bearer, "csv", two).status_code == 400
    totals = QUERY.replace("buckets {", "b: totals {")
    answer = export(api, bearer, "csv", totals.replace("totals { sent }\n", ""))
    assert answer.status_code == 400
    assert answer.json()["extensions"]["argument"] == "query"


def test_the_tenant_row_limit_applies_below_the_api_limit(
    api: TestClient, settings: Settings, limits: Limits
) -> None:
    """A tenant limit of 5 cuts 24 buckets to the first 5; one of 50 is capped by the API's 20."""
    bearer = role_token(settings, VIEW)
    expected = buckets(api, bearer)
    limits.rows["acme"] = 5
    cut = export(api, bearer, "parquet")
    assert cut.headers["x-pulse-row-limit"] == "5"
    assert pq.read_table(io.BytesIO(cut.content)).to_pylist() == expected[:5]
    limits.rows["acme"] = 50
    capped = export(api, bearer, "csv")
    assert capped.headers["x-pulse-row-limit"] == "20"
    assert len(list(csv.DictReader(io.StringIO(capped.text)))) == 20


def test_a_breakdowns_rows_export_as_answered(
    settings: Settings, clickhouse: ClickHouse, limits: Limits
) -> None:
    """webBreakdown's rows (top pages) read back from Parquet and CSV equal the answer's."""
    store_web(
        clickhouse,
        [
            view("v1", "2026-03-02T10:00:00Z", "/home"),
            view("v1", "2026-03-02T10:10:00Z", "/pricing"),
            view("v2", "2026-03-02T23:30:00Z", "/home"),
        ],
    )
    query = (
        'query { webBreakdown(dimension: PAGE, from: "2026-03-02T00:00:00Z",'
        ' to: "2026-03-04T00:00:00Z") { dimension rows { value visitors pageViews bounceRate } } }'
    )
    api = TestClient(create_app(settings, clickhouse, MemoryStore(), kafka_up, limits))
    bearer = role_token(settings, VIEW)
    answer = graphql(api, query, bearer=bearer)["data"]["webBreakdown"]["rows"]
    assert [r["value"] for r in answer] == ["/home", "/pricing"]
    headers = {"Authorization": f"Bearer {bearer}"}
    parquet = api.post("/export", json={"query": query, "format": "parquet"}, headers=headers)
    assert pq.read_table(io.BytesIO(parquet.content)).to_pylist() == answer
    text = api.post("/export", json={"query": query}, headers=headers).text
    as_text = [{k: "" if v is None else str(v) for k, v in r.items()} for r in answer]
    assert list(csv.DictReader(io.StringIO(text))) == as_text


def test_an_export_runs_no_mutation_over_get_or_post(
    settings: Settings, kafka: str, clickhouse: ClickHouse
) -> None:
    """A mutation sent to /export by GET or POST is INVALID_ARGUMENT; the dashboard stays."""
    apply_topics(settings)
    book = DashboardBook.open(settings)
    try:
        app = create_app(settings, clickhouse, MemoryStore(), kafka_up, dashboards=book)
        with TestClient(app) as api:
            bearer = role_token(settings, [*VIEW, MANAGE])
            made = graphql(api, CREATE, {"input": dashboard_input()}, bearer=bearer)
            dashboard = made["data"]["createDashboard"]["id"]
            delete = f'mutation {{ deleteDashboard(id: "{dashboard}") {{ id }} }}'
            headers = {"Authorization": f"Bearer {bearer}"}
            answers = [
                api.get("/export", params={"query": delete}, headers=headers),
                api.post("/export", json={"query": delete}, headers=headers),
                api.post("/export", json={"query": f"{QUERY}\n{delete}"}, headers=headers),
            ]
            for refused in answers:
                assert refused.status_code == 400, refused.text
                assert refused.json()["extensions"]["code"] == "INVALID_ARGUMENT"
                assert "mutations and subscriptions are refused" in refused.json()["message"]
            listed = graphql(api, LIST, bearer=bearer)["data"]["dashboards"]
            assert [d["id"] for d in listed] == [dashboard]
    finally:
        book.close()


def test_a_get_export_decodes_the_query_variables(api: TestClient, settings: Settings) -> None:
    """GET /export?query=…&variables=<json> answers as the POST does; variables not JSON: 400."""
    bearer = role_token(settings, VIEW)
    headers = {"Authorization": f"Bearer {bearer}"}
    params = {"query": QUERY, "variables": json.dumps(VARIABLES), "format": "csv"}
    got = api.get("/export", params=params, headers=headers)
    assert got.status_code == 200, got.text
    assert got.text == export(api, bearer, "csv").text
    broken = api.get("/export", params={**params, "variables": "{from:"}, headers=headers)
    assert broken.status_code == 400
    assert broken.json()["extensions"]["argument"] == "variables"


def test_an_empty_answer_keeps_the_header_of_the_selection(
    api: TestClient, settings: Settings
) -> None:
    """No rows in range: CSV has the selected columns' header, Parquet their typed columns."""
    bearer = role_token(settings, VIEW)
    query = (
        'query { webBreakdown(dimension: PAGE, from: "2020-01-01T00:00:00Z",'
        ' to: "2020-01-02T00:00:00Z") { rows { value views: pageViews bounceRate } } }'
    )
    headers = {"Authorization": f"Bearer {bearer}"}
    text = api.post("/export", json={"query": query}, headers=headers).text
    assert text.splitlines() == ["value,views,bounceRate"]
    parquet = api.post("/export", json={"query": query, "format": "parquet"}, headers=headers)
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows == 0
    types = {f.name: str(f.type) for f in table.schema}
    assert types == {"value": "string", "views": "int64", "bounceRate": "double"}


def test_a_null_nested_object_adds_no_column(api: TestClient, settings: Settings) -> None:
    """Under a campaign filter firstResponse is null: its subfields are columns, it is none."""
    bearer = role_token(settings, VIEW)
    query = QUERY.replace("channel: $channel)", 'channel: $channel, campaign: "spring")')
    answer = graphql(api, query, VARIABLES, bearer=bearer)["data"]["messagingMetrics"]["buckets"]
    assert {str(b["firstResponse"]) for b in answer} == {"None"}
    table = pq.read_table(io.BytesIO(export(api, bearer, "parquet", query).content))
    assert table.column_names == [
        "start",
        "sent",
        "deliveryRate",
        "provisional",
        "firstResponse.conversations",
        "firstResponse.frtAvgSeconds",
    ]
    assert set(table.column("firstResponse.conversations").to_pylist()) == {None}


def test_columns_follow_fragments_and_aliases(api: TestClient, settings: Settings) -> None:
    """Fields from a fragment and an inline fragment are columns in order, by their alias."""
    query = """
    query M($from: DateTime!, $to: DateTime!, $channel: String) {
      messagingMetrics(from: $from, to: $to, granularity: HOUR, channel: $channel) {
        buckets {
          at: start
          ...Counts
          ... on MessagingBucket { sent firstResponse { n: conversations } }
        }
      }
    }
    fragment Counts on MessagingBucket { sent delivered }
    """
    text = export(api, role_token(settings, VIEW), "csv", query).text
    assert text.splitlines()[0] == "at,sent,delivered,firstResponse.n"
