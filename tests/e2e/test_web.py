"""Web figures through the real `pulse worker` and `pulse serve`, against the recomputation, with
a late event that merges two sessions arriving in a later sink batch."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from tests.e2e.harness import Pipeline, free_port, pulse
from tests.families import web_oracle as oracle
from tests.families.web_dataset import ZONE, first_batch, second_batch
from tests.families.web_events import ms

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

FROM, TO = "2026-03-01T00:00:00Z", "2026-11-01T00:00:00Z"
QUERY = """
query ($from: DateTime!, $to: DateTime!, $tz: String) {
  webMetrics(from: $from, to: $to, granularity: DAY, timeZone: $tz) {
    buckets { start pageViews visitors sessions bounceRate avgSessionSeconds }
    totals { pageViews visitors sessions bounceRate avgSessionSeconds }
  }
}
"""
# The worker stores these anonymized (METRICS.md §3 Web).
ADDRESSES = {
    "ip4": ("203.0.113.77", "203.0.113.0"),
    "ip6": ("2001:db8:85a3:1:2:3:4:5", "2001:db8:85a3::"),
}
_OPTIONAL = (
    "session_id",
    "url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
    "name",
)


def _event(row: dict[str, Any]) -> dict[str, Any]:
    """The logical event a producer sends for a dataset row (empty fields absent)."""
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{row['tenant_id']}/{row['event_id']}"))
    at = datetime.fromtimestamp(row["occurred_at"] / 1000, tz=UTC)
    event: dict[str, Any] = {
        "event_id": event_id,
        "tenant_id": row["tenant_id"],
        "event_type": row["event_type"],
        "occurred_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "visitor_id": row["visitor_id"] or event_id,
        **{f: row[f] for f in _OPTIONAL if row[f]},
    }
    if row["dnt"]:
        event["dnt"] = True
    if row["visitor_id"] in ADDRESSES:
        event["ip"] = ADDRESSES[row["visitor_id"]][0]
    return event


def _publish(pipeline: Pipeline, rows: list[dict[str, Any]], path: Path) -> None:
    path.write_text("".join(json.dumps(_event(r)) + "\n" for r in rows))
    result = pulse(pipeline.settings, "produce", str(path), check=False)
    assert result.returncode == 0, result.stderr


def _expected(rows: list[dict[str, Any]], tenant: str, zone: str, engaged: tuple[str, ...]) -> Any:
    def half_up(value: Decimal, places: str) -> float:
        return float(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))

    def seconds(f: oracle.Figures) -> float | None:
        return half_up(Decimal(f.length_ms) / f.sessions / 1000, "0.001") if f.sessions else None

    def bounce(f: oracle.Figures) -> float | None:
        return half_up(Decimal(100 * f.bounces) / f.sessions, "0.01") if f.sessions else None

    def shown(f: oracle.Figures) -> dict[str, Any]:
        return {
            "pageViews": f.page_views,
            "visitors": len(f.visitors),
            "sessions": f.sessions,
            "bounceRate": bounce(f),
            "avgSessionSeconds": seconds(f),
        }

    span = ms(FROM), ms(TO)
    days = oracle.figures(rows, tenant, *span, oracle.by_bucket("day", zone), engaged)
    total = oracle.figures(rows, tenant, *span, oracle.whole, engaged)["total"]
    return {start: shown(f) for start, f in days.items()}, shown(total)


def _check(pipeline: Pipeline, rows: list[dict[str, Any]]) -> None:
    for tenant, zone, engaged in (("acme", ZONE, ("signup",)), ("globex", "UTC", ())):
        body = pipeline.graphql(tenant, QUERY, {"from": FROM, "to": TO, "tz": zone})
        assert "errors" not in body, body
        got = body["data"]["webMetrics"]
        days, total = _expected(rows, tenant, zone, engaged)
        busy = {ms(b.pop("start")): b for b in got["buckets"] if b["pageViews"] or b["sessions"]}
        assert busy == days, tenant
        assert got["totals"] == total, tenant


def test_web_figures_through_the_real_pipeline(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """webMetrics of two tenants sharing visitor ids equal the recomputation after each of two
    publications; the late event merges two sessions into one; dnt events count as page views
    only; addresses are stored anonymized."""
    e2e = replace(
        settings,
        api=replace(settings.api, port=free_port(), jwt_secret="e2e-secret-" + "x" * 32),
        stream=replace(settings.stream, web_port=free_port()),
    )
    pipeline = Pipeline(e2e, tmp_path)
    pulse(e2e, "topics", "apply")
    pulse(e2e, "tenants", "set", "acme", "--timezone", ZONE, "--engaged-events", "signup")
    pulse(e2e, "tenants", "set", "globex", "--timezone", "UTC")
    first, late = first_batch(), second_batch()
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        pipeline.wait_api()
        _publish(pipeline, first, tmp_path / "first.jsonl")
        pipeline.wait_caught_up()
        _check(pipeline, first)
        _publish(pipeline, late, tmp_path / "late.jsonl")
        pipeline.wait_caught_up()
        _check(pipeline, first + late)
        active = pipeline.graphql(
            "acme", '{ activeVisitors(asOf: "2026-03-05T15:41:00Z") { count source } }', {}
        )
        assert active["data"]["activeVisitors"] == {"count": 1, "source": "CLICKHOUSE"}
    finally:
        pipeline.stop()
    db = connect(e2e.clickhouse)
    try:
        stored = db.query(
            "SELECT visitor_id, ip FROM events_raw FINAL WHERE visitor_id IN ('ip4', 'ip6')"
        )
        assert {r["visitor_id"]: r["ip"] for r in stored} == {
            v: anonymized for v, (_, anonymized) in ADDRESSES.items()
        }
        entries = db.query(
            "SELECT count() AS n FROM web_sessions FINAL WHERE tenant_id = 'acme'"
            " AND visitor_id = 'late' AND is_entry = 1"
        )
        assert entries[0]["n"] == 1
    finally:
        db.close()
