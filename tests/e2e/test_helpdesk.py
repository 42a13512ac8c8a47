"""The helpdesk catalogue through the real `pulse worker` and `pulse serve`, against the oracle."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pulse.settings import Settings
from tests.e2e.harness import Pipeline, free_port, pulse
from tests.e2e.helpdesk_checks import Question, ask, assert_metrics, assert_unanswered
from tests.e2e.helpdesk_scenario import LAST_EVENT, TENANTS, HelpdeskDataset, HelpdeskTenant, ms
from tests.e2e.oracle_helpdesk import NO_FILTERS, Event, Filters, accepted

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

WINDOWS = {
    "hour": (datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC)),
    "day": (datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)),
    "week": (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)),
    "month": (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
}
FILTERS = (
    Filters(),
    Filters(channel="whatsapp"),
    Filters(org_unit="support"),
    Filters(agent="agent-b"),
    Filters(priority="high"),
)
# (atRiskMinutes, limit, filters) of the unanswered list's questions.
UNANSWERED_CASES = (
    (20, 500, Filters()),
    (60, 3, Filters()),
    (60, 500, Filters(priority="high")),
    (20, 500, Filters(channel="whatsapp", org_unit="support")),
)
AS_OF = LAST_EVENT + ms(60_000)  # after every event: the unanswered ones are still open
NEW_ZONE = "Asia/Tokyo"


def e2e_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        api=replace(settings.api, port=free_port(), jwt_secret="e2e-secret-" + "x" * 32),
        stream=replace(settings.stream, web_port=free_port()),
    )


def publish(pipeline: Pipeline, events: list[dict[str, object]], path: Path) -> None:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    result = pulse(pipeline.settings, "produce", str(path), check=False)
    assert result.returncode == 0, result.stderr


def question(
    tenant: HelpdeskTenant,
    granularity: str,
    *,
    as_of: datetime | None = AS_OF,
    zone: str | None = None,
    time_zone: str | None = None,
    filters: Filters = NO_FILTERS,
) -> Question:
    """The question over the granularity's window; ``zone`` is where the answer should bucket."""
    start, end = WINDOWS[granularity]
    return Question(
        tenant.tenant_id,
        zone or tenant.zone,
        dict(tenant.sla_ms),
        granularity,
        start,
        end,
        as_of,
        time_zone,
        filters,
    )


def check_all(pipeline: Pipeline, events: list[Event], tenant: HelpdeskTenant) -> None:
    """Every granularity with and without each filter, a zone override, asOf around a deadline."""
    now = datetime.now(UTC)
    for granularity in WINDOWS:
        for filters in FILTERS:
            assert_metrics(pipeline, events, question(tenant, granularity, filters=filters), now)
    for granularity in ("hour", "day"):
        override = question(tenant, granularity, zone="Asia/Kolkata", time_zone="Asia/Kolkata")
        if tenant.zone == "Asia/Kolkata":
            override = question(
                tenant, granularity, zone="Europe/Lisbon", time_zone="Europe/Lisbon"
            )
        assert_metrics(pipeline, events, override, now)
    deadline = LAST_EVENT + ms(30 * 60_000)  # open-edge's
    for as_of in (deadline - ms(1), deadline, None):
        assert_metrics(pipeline, events, question(tenant, "hour", as_of=as_of), now)
    sla = dict(tenant.sla_ms)
    for minutes, limit, filters in UNANSWERED_CASES:
        assert_unanswered(
            pipeline,
            events,
            tenant.tenant_id,
            sla,
            as_of=AS_OF,
            at_risk_minutes=minutes,
            limit=limit,
            filters=filters,
        )
    assert (
        assert_unanswered(
            pipeline, events, tenant.tenant_id, sla, as_of=deadline, at_risk_minutes=20, limit=500
        )
        > 0
    )


def wait_for_zone(pipeline: Pipeline, q: Question, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while ask(pipeline, q)["timeZone"] != q.zone:
        assert time.monotonic() < deadline, (
            f"the API still buckets in the old zone after {timeout} s"
        )
        time.sleep(0.5)


def test_helpdesk_metrics_equal_the_oracle_through_the_real_pipeline(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """Every bucket and total of helpdeskMetrics and the unanswered list equal a per-conversation
    recomputation: before and after a late creation, and after a zone change."""
    pipeline = Pipeline(e2e_settings(settings), tmp_path)
    data = HelpdeskDataset()
    pulse(pipeline.settings, "topics", "apply")
    for tenant in TENANTS:
        sla = ["--sla", tenant.sla_flag] if tenant.sla_flag else []
        pulse(
            pipeline.settings, "tenants", "set", tenant.tenant_id, "--timezone", tenant.zone, *sla
        )
    publish(pipeline, data.early, tmp_path / "early.jsonl")
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        pipeline.wait_api()
        pipeline.wait_caught_up()
        early = accepted(data.early)
        now = datetime.now(UTC)
        for tenant in TENANTS:  # the late conversations have no creation yet
            for filters in (Filters(), Filters(channel="whatsapp")):
                assert_metrics(pipeline, early, question(tenant, "day", filters=filters), now)

        publish(pipeline, data.late, tmp_path / "late.jsonl")
        pipeline.wait_caught_up()
        everything = accepted(data.early + data.late)
        for tenant in TENANTS:
            check_all(pipeline, everything, tenant)

        moved = TENANTS[1]
        pulse(pipeline.settings, "tenants", "set", moved.tenant_id, "--timezone", NEW_ZONE)
        wait_for_zone(pipeline, question(moved, "day", zone=NEW_ZONE))
        now = datetime.now(UTC)
        for granularity in WINDOWS:
            for filters in (Filters(), Filters(agent="agent-b")):
                q = question(moved, granularity, zone=NEW_ZONE, filters=filters)
                assert_metrics(pipeline, everything, q, now)
    finally:
        pipeline.stop()
