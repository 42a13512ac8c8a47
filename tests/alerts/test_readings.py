"""The messaging and outreach window readers against a recount in Python of the rows inserted."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from pulse.alerts.readings import read
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import RuleFilter
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import db, event, insert_raw

__all__ = ["db"]

pytestmark = pytest.mark.clickhouse

START = 1_800_000_000_000
END = START + 15 * 60_000
MESSAGE = [
    "sent",
    "delivered",
    "read",
    "clicked",
    "failed",
    "complained",
    "unsubscribed",
    "received",
]


def pct(numerator: int, denominator: int) -> float | None:
    if denominator == 0:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rows_around(types: list[str], rng: random.Random, n: int, **extra: Any) -> list[dict[str, Any]]:
    """``n`` events of ``types`` from a minute before the window to a minute after, with the
    window's two edges hit exactly, some of another tenant, some stored twice."""
    rows = []
    for i in range(n):
        at = [START, END, END - 1][i] if i < 3 else rng.randrange(START - 60_000, END + 60_000)
        fields = {k: rng.choice(v) for k, v in extra.items()}
        tenant = "other" if rng.random() < 0.1 else "acme"
        rows.append(event(rng.choice(types), f"c{i}", at, tenant=tenant, **fields))
    return rows + rows[: n // 5]


def inside(rows: list[dict[str, Any]], **fixed: str) -> list[dict[str, Any]]:
    unique = {(r["tenant_id"], r["event_id"]): r for r in rows}.values()
    return [
        r
        for r in unique
        if r["tenant_id"] == "acme"
        and START <= r["occurred_at"] < END
        and all(r[k] == v for k, v in fixed.items())
    ]


@pytest.mark.parametrize("fixed", [{}, {"channel": "email"}, {"channel": "sms", "org_unit": "ops"}])
def test_messaging_reader_matches_a_recount(db: ClickHouse, fixed: dict[str, str]) -> None:
    """Every messaging count and rate over [start, end) equals the recount under the filter."""
    rng = random.Random(len(fixed))
    types = [f"message.{m}" for m in MESSAGE]
    rows = rows_around(types, rng, 600, channel=["email", "sms"], org_unit=["ops", "sales"])
    insert_raw(db, rows)
    kept = inside(rows, **fixed)
    n = {m: sum(r["event_type"] == f"message.{m}" for r in kept) for m in MESSAGE}
    expected: dict[str, float | None] = {m: float(n[m]) for m in MESSAGE}
    expected |= {
        "delivery_rate": pct(n["delivered"], n["sent"]),
        "read_rate": pct(n["read"], n["delivered"]),
        "click_rate": pct(n["clicked"], n["delivered"]),
        "failure_rate": pct(n["failed"], n["sent"]),
    }
    rule_filter = RuleFilter(**fixed)
    for metric, value in expected.items():
        got = read(db, "acme", metric, rule_filter, START, END)
        assert got == Reading(value, len(kept)), metric


def test_messaging_rate_without_denominator_is_undefined(db: ClickHouse) -> None:
    """Failures without sends: failure_rate is None, the window is not "no data"."""
    insert_raw(db, [event("message.failed", "c1", START + 5)])
    assert read(db, "acme", "failure_rate", RuleFilter(), START, END) == Reading(None, 1)
    assert read(db, "acme", "sent", RuleFilter(), START + 10, END) == Reading(0.0, 0)


@pytest.mark.parametrize("channel", [None, "email"])
def test_automation_reader_matches_a_recount(db: ClickHouse, channel: str | None) -> None:
    """Automation executed, failed and failure rate (failed / (executed + failed)) per channel."""
    rng = random.Random(3)
    types = ["automation.executed", "automation.failed"]
    rows = rows_around(types, rng, 400, channel=["email", "sms", ""])
    insert_raw(db, rows)
    kept = inside(rows, **({} if channel is None else {"channel": channel}))
    executed = sum(r["event_type"] == "automation.executed" for r in kept)
    failed = len(kept) - executed
    expected = {
        "automation_executed": float(executed),
        "automation_failed": float(failed),
        "automation_failure_rate": pct(failed, executed + failed),
    }
    for metric, value in expected.items():
        got = read(db, "acme", metric, RuleFilter(channel=channel), START, END)
        assert got == Reading(value, len(kept)), metric


def test_workflow_reader_matches_a_recount(db: ClickHouse) -> None:
    """Workflow runs, failures, completion (completed / runs) and conversion (goal / completed)."""
    rng = random.Random(5)
    kinds = ["run_started", "run_completed", "run_failed", "goal_reached"]
    rows = rows_around([f"workflow.{k}" for k in kinds], rng, 500)
    insert_raw(db, rows)
    kept = inside(rows)
    n = {k: sum(r["event_type"] == f"workflow.{k}" for r in kept) for k in kinds}
    expected = {
        "workflow_runs": float(n["run_started"]),
        "workflow_failed": float(n["run_failed"]),
        "workflow_completion_rate": pct(n["run_completed"], n["run_started"]),
        "workflow_conversion_rate": pct(n["goal_reached"], n["run_completed"]),
    }
    for metric, value in expected.items():
        assert read(db, "acme", metric, RuleFilter(), START, END) == Reading(value, len(kept))
