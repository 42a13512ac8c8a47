"""Campaigns, templates and traffic through the real `pulse worker` and `pulse serve`, against
an independent recomputation of the events produced."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pulse.settings import Settings
from tests.e2e.harness import Pipeline, pulse
from tests.e2e.outreach_campaigns_scenario import TENANTS, OutreachDataset, oracle_events
from tests.e2e.test_helpdesk import e2e_settings
from tests.families import outreach_oracle as oracle

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

FROM, TO = "2026-10-19T00:00:00Z", "2026-10-30T00:00:00Z"
COUNTS = " ".join(oracle.COUNTS)
RATES = "deliveryRate readRate clickRate failureRate"
QUERY = f"""
query Q($from: DateTime!, $to: DateTime!, $by: CampaignRate!, $tby: TemplateRank!,
        $channel: String, $id: String!, $timeZone: String) {{
  campaignMetrics(from: $from, to: $to, granularity: DAY, channel: $channel) {{
    campaignsStarted campaignsCompleted
    top(by: $by, limit: 50) {{ campaignId name {COUNTS} {RATES} }}
    worst(by: $by, limit: 5) {{ campaignId name {COUNTS} {RATES} }}
    campaign(id: $id) {{ name buckets {{ localStart {COUNTS} }} }}
  }}
  templateMetrics(from: $from, to: $to, granularity: DAY, channel: $channel) {{
    top(by: $tby, limit: 50) {{ templateId usage }}
    worst(by: $tby, limit: 3) {{ templateId usage }}
  }}
  trafficMetrics(from: $from, to: $to, channel: $channel, timeZone: $timeZone) {{
    timeZone byHour {{ messages }} byDayOfWeek {{ messages }} peakHours {{ hour messages }}
  }}
}}
"""
CASES = (
    ("READ_RATE", "USAGE", None, None),
    ("CLICK_RATE", "READ_RATE", None, "Asia/Kolkata"),
    ("FAILURE_RATE", "CLICK_RATE", "email", None),
    ("DELIVERY_RATE", "USAGE", "sms", "Europe/Lisbon"),
)
RATE_NAMES = {
    "READ_RATE": "readRate",
    "CLICK_RATE": "clickRate",
    "FAILURE_RATE": "failureRate",
    "DELIVERY_RATE": "deliveryRate",
}


def _template_figure(by: str) -> Any:
    """The oracle's figure a ranking by ``by`` orders on (a rate, or usage)."""
    if by == "USAGE":
        return lambda c: float(c["sent"])
    return lambda c: oracle.rates(c)[RATE_NAMES[by]]


def check(
    pipeline: Pipeline, events: list[dict[str, Any]], tenant: str, case: tuple[Any, ...]
) -> None:
    by, tby, channel, zone_asked = case
    zone = zone_asked or TENANTS[tenant]
    variables = {
        "from": FROM,
        "to": TO,
        "by": by,
        "tby": tby,
        "channel": channel,
        "id": "cmp-03",
        "timeZone": zone_asked,
    }
    body = pipeline.graphql(tenant, QUERY, variables)
    assert "errors" not in body, body
    data = body["data"]
    # The range is the grid's: the local days (hours, for traffic) starting in [FROM, TO).
    tz = ZoneInfo(TENANTS[tenant])
    local_days = (datetime(2026, 10, 18, tzinfo=tz) + timedelta(days=n) for n in range(14))
    days = [d for d in local_days if oracle_ms(FROM) <= oracle_ms(d.isoformat()) < oracle_ms(TO)]
    f = oracle_ms(days[0].isoformat())
    t = oracle_ms((days[-1] + timedelta(days=1)).isoformat())

    campaigns = data["campaignMetrics"]
    per_id = oracle.counts_by(events, "campaign_id", tenant, f, t, channel)
    figure = _template_figure(by)
    for field, limit, largest in (("top", 50, True), ("worst", 5, False)):
        ids = oracle.ranked(per_id, figure, limit, largest)
        assert campaigns[field] == [
            {
                "campaignId": i,
                "name": oracle.name_of(events, tenant, i, t),
                **per_id[i],
                **oracle.rates(per_id[i]),
            }
            for i in ids
        ], (tenant, case, field)
    started = oracle.started_completed(events, tenant, f, t, channel)
    assert (campaigns["campaignsStarted"], campaigns["campaignsCompleted"]) == started
    buckets = campaigns["campaign"]["buckets"]
    assert [b["localStart"] for b in buckets] == [d.isoformat() for d in days]
    for day, got in zip(days, buckets, strict=True):
        start, end = oracle_ms(day.isoformat()), oracle_ms((day + timedelta(days=1)).isoformat())
        counts = oracle.counts_by(events, "campaign_id", tenant, start, end, channel)
        expected = counts.get("cmp-03", dict.fromkeys(oracle.COUNTS, 0))
        assert {k: got[k] for k in oracle.COUNTS} == expected, (tenant, case, day)

    templates = data["templateMetrics"]
    per_template = oracle.counts_by(events, "template_id", tenant, f, t, channel)
    for field, limit, largest in (("top", 50, True), ("worst", 3, False)):
        ids = oracle.ranked(per_template, _template_figure(tby), limit, largest)
        assert templates[field] == [
            {"templateId": i, "usage": per_template[i]["sent"]} for i in ids
        ], (tenant, case, field)

    traffic = data["trafficMetrics"]
    hour_from, hour_to = hour_range(zone)
    hours, weekdays, peaks = oracle.traffic(events, tenant, hour_from, hour_to, zone, channel)
    assert traffic["timeZone"] == zone
    assert [h["messages"] for h in traffic["byHour"]] == hours
    assert [d["messages"] for d in traffic["byDayOfWeek"]] == weekdays
    assert traffic["peakHours"] == [{"hour": h, "messages": hours[h]} for h in peaks]


def hour_range(zone: str) -> tuple[int, int]:
    """[first, last + 1 h) of the local hours of ``zone`` starting in [FROM, TO), UTC ms."""
    tz = ZoneInfo(zone)
    quarter = 15 * 60_000
    instants = range(oracle_ms(FROM), oracle_ms(TO), quarter)
    starts = [at for at in instants if datetime.fromtimestamp(at / 1000, tz).minute == 0]
    return starts[0], starts[-1] + 3_600_000


def oracle_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_campaigns_templates_and_traffic_equal_the_oracle_through_the_real_pipeline(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """Rankings, names, started/completed, a campaign's day buckets, template rankings and
    traffic per tenant (shared ids never mix) equal a recomputation of the produced events."""
    pipeline = Pipeline(e2e_settings(settings), tmp_path)
    data = OutreachDataset()
    pulse(pipeline.settings, "topics", "apply")
    for tenant, zone in TENANTS.items():
        pulse(pipeline.settings, "tenants", "set", tenant, "--timezone", zone)
    path = tmp_path / "outreach.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in data.events))
    produced = pulse(pipeline.settings, "produce", str(path), check=False)
    assert produced.returncode == 0, produced.stderr
    events = oracle_events(data.events)
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        pipeline.wait_api()
        pipeline.wait_caught_up()
        for tenant in TENANTS:
            for case in CASES:
                check(pipeline, events, tenant, case)
    finally:
        pipeline.stop()
