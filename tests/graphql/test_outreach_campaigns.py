"""``campaignMetrics``, ``templateMetrics`` and ``trafficMetrics`` over a real chdb, checked
against an independent recomputation of the stored events; tenant scoping; the README's
outreach dashboard document."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from pulse.settings import ROOT, Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.families import outreach_oracle as oracle
from tests.families.outreach_events import DATASET, ms, store
from tests.graphql.conftest import Tenants, graphql, token

pytestmark = pytest.mark.clickhouse

FROM, TO = "2026-10-19T00:00:00Z", "2026-10-26T00:00:00Z"
COUNTS = " ".join(oracle.COUNTS)
RATES = "deliveryRate readRate clickRate failureRate"
CAMPAIGNS = f"""
query C($from: DateTime!, $to: DateTime!, $by: CampaignRate!, $limit: Int!, $id: String!,
        $channel: String, $tenantId: String, $timeZone: String) {{
  campaignMetrics(from: $from, to: $to, granularity: DAY, channel: $channel,
                  tenantId: $tenantId, timeZone: $timeZone) {{
    tenantId timeZone channel campaignsStarted campaignsCompleted
    top(by: $by, limit: $limit) {{ campaignId name {COUNTS} {RATES} }}
    worst(by: $by, limit: $limit) {{ campaignId name {COUNTS} {RATES} }}
    campaign(id: $id) {{
      campaignId name
      buckets {{ start localStart {COUNTS} {RATES} firstResponse {{ conversations }} }}
      totals {{ {COUNTS} {RATES} }}
    }}
  }}
}}
"""
TEMPLATES = f"""
query T($from: DateTime!, $to: DateTime!, $by: TemplateRank!, $id: String!) {{
  templateMetrics(from: $from, to: $to, granularity: DAY) {{
    top(by: $by, limit: 10) {{ templateId usage {COUNTS} {RATES} }}
    worst(by: $by, limit: 10) {{ templateId usage {COUNTS} {RATES} }}
    template(id: $id) {{ templateId usage totals {{ {COUNTS} }} }}
  }}
}}
"""
TRAFFIC = """
query R($from: DateTime!, $to: DateTime!, $timeZone: String, $channel: String) {
  trafficMetrics(from: $from, to: $to, timeZone: $timeZone, channel: $channel) {
    tenantId timeZone byHour { hour messages } byDayOfWeek { day messages }
    peakHours { hour messages }
  }
}
"""


def ask(
    client: TestClient, settings: Settings, query: str, tenant: str = "acme", **variables: Any
) -> dict[str, Any]:
    body = graphql(client, query, {"from": FROM, "to": TO, **variables}, token(settings, tenant))
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def expected_row(tenant: str, campaign: str, counts: dict[str, int]) -> dict[str, Any]:
    name = oracle.name_of(DATASET, tenant, campaign, ms(TO))
    return {"campaignId": campaign, "name": name, **counts, **oracle.rates(counts)}


@pytest.fixture
def outreach(clickhouse: ClickHouse) -> ClickHouse:
    store(clickhouse, DATASET)
    return clickhouse


@pytest.mark.parametrize("tenant", ["acme", "globex"])
@pytest.mark.parametrize("by", ["READ_RATE", "CLICK_RATE", "DELIVERY_RATE", "FAILURE_RATE"])
def test_campaign_rankings_match_the_recomputation(
    client: TestClient, settings: Settings, outreach: ClickHouse, tenant: str, by: str
) -> None:
    """Top and worst by each rate: the tenant's own campaigns, names, counts and rates."""
    found = ask(client, settings, CAMPAIGNS, tenant, by=by, limit=10, id="c-spring")[
        "campaignMetrics"
    ]
    per_id = oracle.counts_by(DATASET, "campaign_id", tenant, ms(FROM), ms(TO))
    rate_name = re.sub(r"_(\w)", lambda m: m[1].upper(), by.lower())
    for field, largest in (("top", True), ("worst", False)):
        ids = oracle.ranked(per_id, lambda c: oracle.rates(c)[rate_name], 10, largest)
        assert found[field] == [expected_row(tenant, i, per_id[i]) for i in ids]
    started, completed = oracle.started_completed(DATASET, tenant, ms(FROM), ms(TO))
    assert (found["campaignsStarted"], found["campaignsCompleted"]) == (started, completed)


def test_read_rate_ranking_ties_nulls_and_receipts(
    client: TestClient, settings: Settings, outreach: ClickHouse
) -> None:
    """By read rate the 50.0 tie goes by id, SMS without receipts ranks at 0.0, push (nothing
    delivered, null) is left out; a limit cuts the list."""
    found = ask(client, settings, CAMPAIGNS, by="READ_RATE", limit=2, id="c-push")
    metrics = found["campaignMetrics"]
    assert [(r["campaignId"], r["readRate"]) for r in metrics["top"]] == [
        ("c-spring", 50.0),
        ("c-tie", 50.0),
    ]
    assert [(r["campaignId"], r["readRate"]) for r in metrics["worst"]] == [
        ("c-sms", 0.0),
        ("c-spring", 50.0),
    ]
    assert metrics["top"][0]["name"] == "Spring Sale"
    push = metrics["campaign"]
    assert (push["name"], push["totals"]["readRate"], push["totals"]["clicked"]) == (None, None, 1)


NARROW = """
query N($from: DateTime!, $to: DateTime!) {
  campaignMetrics(from: $from, to: $to, granularity: DAY) {
    top(by: CLICK_RATE, limit: 10) { campaignId sent readRate }
  }
  templateMetrics(from: $from, to: $to, granularity: DAY) {
    worst(by: READ_RATE, limit: 10) { templateId usage clickRate }
  }
}
"""


def test_lists_showing_a_few_fields_show_them_as_the_full_ones_do(
    client: TestClient, settings: Settings, outreach: ClickHouse
) -> None:
    """A list selecting a count and a rate (it reads only those, and its ranking's) shows the
    same values and order as one selecting every count."""
    narrow = ask(client, settings, NARROW)
    campaigns = ask(client, settings, CAMPAIGNS, by="CLICK_RATE", limit=10, id="c-spring")
    templates = ask(client, settings, TEMPLATES, by="READ_RATE", id="t-welcome")
    assert narrow["campaignMetrics"]["top"] == [
        {k: row[k] for k in ("campaignId", "sent", "readRate")}
        for row in campaigns["campaignMetrics"]["top"]
    ]
    assert narrow["templateMetrics"]["worst"] == [
        {k: row[k] for k in ("templateId", "usage", "clickRate")}
        for row in templates["templateMetrics"]["worst"]
    ]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
@pytest.mark.parametrize("channel", [None, "email", "sms"])
def test_one_campaigns_day_buckets_match_the_recomputation(
    client: TestClient, settings: Settings, outreach: ClickHouse, zone: str, channel: str | None
) -> None:
    """campaign(id) gives every local day of the range with that campaign's counts and rates."""
    found = ask(
        client,
        settings,
        CAMPAIGNS,
        by="READ_RATE",
        limit=1,
        id="c-sms",
        channel=channel,
        timeZone=zone,
    )["campaignMetrics"]["campaign"]
    tz = ZoneInfo(zone)
    local_days = (datetime(2026, 10, 18, tzinfo=tz) + timedelta(days=n) for n in range(10))
    days = [d for d in local_days if ms(FROM) <= ms(d.isoformat()) < ms(TO)]
    assert [b["localStart"] for b in found["buckets"]] == [d.isoformat() for d in days]
    for day, got in zip(days, found["buckets"], strict=True):
        start, end = ms(day.isoformat()), ms((day + timedelta(days=1)).isoformat())
        counts = oracle.counts_by(DATASET, "campaign_id", "acme", start, end, channel).get(
            "c-sms", dict.fromkeys(oracle.COUNTS, 0)
        )
        assert {k: got[k] for k in oracle.COUNTS} == counts
        assert got["readRate"] == oracle.rates(counts)["readRate"]
        assert got["firstResponse"] is None
    assert found["name"] == "SMS blast"


@pytest.mark.parametrize("by", ["USAGE", "READ_RATE", "CLICK_RATE"])
def test_template_rankings_match_the_recomputation(
    client: TestClient, settings: Settings, outreach: ClickHouse, by: str
) -> None:
    """Templates shared by campaigns: usage = sent, rates of their messages, ranked with ties."""
    found = ask(client, settings, TEMPLATES, by=by, id="t-welcome")["templateMetrics"]
    per_id = oracle.counts_by(DATASET, "template_id", "acme", ms(FROM), ms(TO))

    def figure(c: dict[str, int]) -> float | None:
        return (
            float(c["sent"])
            if by == "USAGE"
            else oracle.rates(c)["readRate" if by == "READ_RATE" else "clickRate"]
        )

    for field, largest in (("top", True), ("worst", False)):
        ids = oracle.ranked(per_id, figure, 10, largest)
        assert found[field] == [
            {"templateId": i, "usage": per_id[i]["sent"], **per_id[i], **oracle.rates(per_id[i])}
            for i in ids
        ]
    assert found["template"]["usage"] == per_id["t-welcome"]["sent"] == 15


@pytest.mark.parametrize("zone", ["Europe/Lisbon", "Asia/Kolkata"])
def test_traffic_matches_the_recomputation(
    client: TestClient, settings: Settings, outreach: ClickHouse, zone: str
) -> None:
    """24 hours, 7 days Monday first and the peak hours, in the zone asked for."""
    found = ask(client, settings, TRAFFIC, timeZone=zone)["trafficMetrics"]
    hours, days, peaks = oracle.traffic(DATASET, "acme", ms(FROM), ms(TO), zone)
    assert found["byHour"] == [{"hour": h, "messages": n} for h, n in enumerate(hours)]
    assert found["byDayOfWeek"] == [
        {"day": d, "messages": n} for d, n in zip(oracle.DAYS, days, strict=True)
    ]
    assert found["peakHours"] == [{"hour": h, "messages": hours[h]} for h in peaks]


def test_traffic_follows_the_tenants_zone(
    client: TestClient, settings: Settings, outreach: ClickHouse, tenants: Tenants
) -> None:
    """Without timeZone the tenant's zone files the hours."""
    tenants.zones["acme"] = "Asia/Kolkata"
    found = ask(client, settings, TRAFFIC)["trafficMetrics"]
    hours, _, _ = oracle.traffic(DATASET, "acme", ms(FROM), ms(TO), "Asia/Kolkata")
    assert found["timeZone"] == "Asia/Kolkata"
    assert [h["messages"] for h in found["byHour"]] == hours


def test_other_tenant_is_forbidden(client: TestClient, settings: Settings) -> None:
    """acme's token asking for globex's campaigns is refused with FORBIDDEN."""
    variables = {"from": FROM, "to": TO, "by": "READ_RATE", "limit": 3, "id": "c-spring"}
    body = graphql(client, CAMPAIGNS, {**variables, "tenantId": "globex"}, token(settings))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None or body["data"]["campaignMetrics"] is None


@pytest.mark.parametrize("query", [CAMPAIGNS, TEMPLATES, TRAFFIC])
def test_no_token_is_unauthenticated(client: TestClient, query: str) -> None:
    """Every outreach field needs a bearer token."""
    variables = {"from": FROM, "to": TO, "by": "USAGE", "limit": 1, "id": "x"}
    if query is CAMPAIGNS:
        variables["by"] = "READ_RATE"
    body = graphql(client, query, variables)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_limit_out_of_bounds_is_an_invalid_argument(client: TestClient, settings: Settings) -> None:
    """limit 0 is refused with INVALID_ARGUMENT naming the argument."""
    variables = {"from": FROM, "to": TO, "by": "READ_RATE", "limit": 0, "id": "x"}
    body = graphql(client, CAMPAIGNS, variables, token(settings))
    extensions = body["errors"][0]["extensions"]
    assert (extensions["code"], extensions["argument"]) == ("INVALID_ARGUMENT", "limit")


def test_empty_range_answers_zeros(client: TestClient, settings: Settings) -> None:
    """A range without outreach events: no rows, zero buckets, null rates, 24 silent hours."""
    empty = {"from": "2026-11-02T00:00:00Z", "to": "2026-11-04T00:00:00Z"}
    found = ask(client, settings, CAMPAIGNS, by="READ_RATE", limit=5, id="c-spring", **empty)
    metrics = found["campaignMetrics"]
    assert (metrics["top"], metrics["worst"], metrics["campaignsStarted"]) == ([], [], 0)
    assert [b["sent"] for b in metrics["campaign"]["buckets"]] == [0, 0]
    assert metrics["campaign"]["totals"]["readRate"] is None
    traffic = ask(client, settings, TRAFFIC, **empty)["trafficMetrics"]
    assert [h["messages"] for h in traffic["byHour"]] == [0] * 24
    assert traffic["peakHours"] == []


def _dashboard_documents() -> list[str]:
    found = []
    for path in (ROOT / "README.md", ROOT / "families" / "outreach" / "README.md"):
        text = path.read_text(encoding="utf-8")
        section = text[text.index("Outreach dashboard example") :]
        block = section[section.index("```graphql\n") + len("```graphql\n") :]
        found.append(block[: block.index("\n```")])
    return found


def test_the_readme_dashboard_document_answers(
    client: TestClient, settings: Settings, outreach: ClickHouse
) -> None:
    """The outreach dashboard document of both READMEs (the same) runs without errors."""
    readme, family = _dashboard_documents()
    assert readme == family
    variables = {"from": FROM, "to": TO, "campaign": "c-spring"}
    body = graphql(client, readme, variables, token(settings))
    assert "errors" not in body, body
    data = body["data"]
    assert data["campaigns"]["topCampaigns"][0]["campaignId"] == "c-spring"
    assert data["overview"]["totals"]["sent"] == sum(
        1
        for e in DATASET
        if e["tenant_id"] == "acme"
        and e["event_type"] == "message.sent"
        and ms(FROM) <= e["occurred_at"] < ms(TO)
    )
    assert len(data["overview"]["trend"]) == 7
    assert data["traffic"]["peakHours"]
