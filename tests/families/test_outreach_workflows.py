"""Workflow figures from raw events in chdb, against an independent recomputation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from pulse.families.outreach.workflows import WorkflowAnswer, WorkflowQuery, workflow_answer
from pulse.sinks.clickhouse import ClickHouse
from tests.families.flows_events import (
    Row,
    ev,
    insert,
    ms,
    open_entities,
    pct,
    per_bucket,
    question_grid,
)

pytestmark = pytest.mark.clickhouse

LISBON = "Europe/Lisbon"
AS_OF = ms("2026-10-25T12:00:00+00:00")


def run(kind: str, workflow: str, run_id: str, at: str, tenant: str = "acme", **f: Any) -> Row:
    return ev(f"workflow.{kind}", at, tenant, workflow_id=workflow, run_id=run_id, **f)


# acme (Lisbon) on the fall-back day 2026-10-25: r1 in the first local 01:00 hour (+01:00),
# r2 in the second (+00:00); r3 and d1 still going at AS_OF; wf-c completes a run started the
# day before (no runs in range: completion rate null). globex reuses the ids.
ROWS = [
    run("run_started", "wf-a", "r1", "2026-10-25T00:30:00Z", name="Onboarding"),
    run("run_completed", "wf-a", "r1", "2026-10-25T00:50:00Z"),
    run("goal_reached", "wf-a", "r1", "2026-10-25T00:55:00Z"),
    run("run_started", "wf-a", "r2", "2026-10-25T01:30:00Z"),
    run("run_failed", "wf-a", "r2", "2026-10-25T01:40:00Z"),
    run("run_started", "wf-a", "r3", "2026-10-25T02:10:00Z", name="Onboarding v2"),
    run("run_completed", "wf-a", "r3", "2026-10-26T10:00:00Z", name=""),
    run("run_started", "wf-b", "r1", "2026-10-25T05:00:00Z"),
    run("run_completed", "wf-b", "r1", "2026-10-25T06:00:00Z"),
    run("run_started", "wf-d", "r1", "2026-10-25T03:00:00Z"),
    run("run_started", "wf-c", "r9", "2026-10-23T20:00:00Z", name="Winback"),
    run("run_completed", "wf-c", "r9", "2026-10-25T09:00:00Z"),
    run("run_started", "wf-a", "r1", "2026-10-25T00:40:00Z", "globex", name="Other"),
    run("run_started", "wf-a", "r2", "2026-10-25T00:45:00Z", "globex"),
    run("run_completed", "wf-a", "r1", "2026-10-25T01:10:00Z", "globex"),
    run("goal_reached", "wf-a", "r1", "2026-10-25T01:15:00Z", "globex"),
]
FIGURES = ("runs", "completed", "failed", "goal_reached", "completion_rate", "conversion_rate")
TYPES = {
    "workflow.run_started": "runs",
    "workflow.run_completed": "completed",
    "workflow.run_failed": "failed",
    "workflow.goal_reached": "goal_reached",
}


@pytest.fixture
def stored(db: ClickHouse) -> ClickHouse:
    """ROWS stored, with wf-b's start stored a second time (a replayed batch)."""
    insert(db, ROWS)
    insert(db, [ROWS[7]])
    return db


def figures(counts: Counter[str]) -> dict[str, Any]:
    n = {name: counts[kind] for kind, name in TYPES.items()}
    return {
        **n,
        "completion_rate": pct(n["completed"], n["runs"]),
        "conversion_rate": pct(n["goal_reached"], n["completed"]),
    }


def shown(counts: Any) -> dict[str, Any]:
    return {name: getattr(counts, name) for name in FIGURES}


def ask(db: ClickHouse, start: str, end: str, granularity: str, zone: str, **kw: Any) -> Any:
    buckets = question_grid(start, end, granularity, zone)
    q = WorkflowQuery(kw.pop("tenant", "acme"), buckets, zone, granularity, AS_OF, **kw)  # type: ignore[arg-type]
    return q, workflow_answer(db, q)


def assert_matches_oracle(q: WorkflowQuery, answer: WorkflowAnswer) -> None:
    def keep(row: Row) -> bool:
        wanted = q.workflow_id is None or row["workflow_id"] == q.workflow_id
        return row["tenant_id"] == q.tenant_id and wanted

    counts, total = per_bucket(ROWS, q.buckets, q.granularity, q.time_zone, keep)
    assert [shown(b) for b in answer.buckets] == [figures(c) for c in counts]
    assert shown(answer.totals) == figures(total)
    going = open_entities(
        [r for r in ROWS if keep(r) and r["event_type"] != "workflow.goal_reached"],
        q.as_of_ms,
        lambda r: (r["workflow_id"], r["run_id"]),
        "workflow.run_started",
    )
    assert answer.runs_in_progress == sum(going.values())


@pytest.mark.parametrize("granularity", ["hour", "day", "week", "month"])
def test_buckets_and_totals_equal_the_recomputation(stored: ClickHouse, granularity: str) -> None:
    """Every bucket and the totals of each granularity equal the oracle's, in Lisbon."""
    q, answer = ask(
        stored, "2026-10-01T00:00:00+01:00", "2026-11-01T00:00:00Z", granularity, LISBON
    )
    assert_matches_oracle(q, answer)


def test_the_two_local_one_oclock_hours_of_the_fall_back_are_two_buckets(
    stored: ClickHouse,
) -> None:
    """On 2026-10-25 Lisbon's day has 25 hours; r1 starts in the +01:00 01:00, r2 in the +00:00."""
    q, answer = ask(stored, "2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00Z", "hour", LISBON)
    assert len(q.buckets) == 25
    first, second = answer.buckets[1], answer.buckets[2]
    assert (q.buckets[1].start_ms, q.buckets[2].start_ms) == (
        ms("2026-10-25T00:00:00Z"),
        ms("2026-10-25T01:00:00Z"),
    )
    assert (first.runs, first.completed, first.goal_reached, first.conversion_rate) == (
        1,
        1,
        1,
        100.0,
    )
    assert (second.runs, second.failed, second.completion_rate, second.conversion_rate) == (
        1,
        1,
        0.0,
        None,
    )
    assert_matches_oracle(q, answer)


def test_kolkata_buckets_start_at_half_past_utc(stored: ClickHouse) -> None:
    """In Asia/Kolkata (+05:30) hours start at :30 UTC and 00:30Z falls in the 06:00 hour."""
    q, answer = ask(
        stored, "2026-10-25T00:00:00+05:30", "2026-10-26T00:00:00+05:30", "hour", "Asia/Kolkata"
    )
    assert q.buckets[6].start_ms == ms("2026-10-25T00:30:00Z")
    assert answer.buckets[6].runs == 1
    assert_matches_oracle(q, answer)
    q, answer = ask(
        stored, "2026-10-20T00:00:00+05:30", "2026-10-30T00:00:00+05:30", "day", "Asia/Kolkata"
    )
    assert_matches_oracle(q, answer)


def test_tenants_sharing_workflow_and_run_ids_never_mix(stored: ClickHouse) -> None:
    """globex's wf-a has its own two runs, one going at as_of, and its own name."""
    q, answer = ask(
        stored, "2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", "day", "UTC", tenant="globex"
    )
    assert shown(answer.totals) == {
        "runs": 2,
        "completed": 1,
        "failed": 0,
        "goal_reached": 1,
        "completion_rate": 50.0,
        "conversion_rate": 100.0,
    }
    assert answer.runs_in_progress == 1
    assert [(e.workflow_id, e.name) for e in answer.top] == [("wf-a", "Other")]
    assert_matches_oracle(q, answer)


def test_a_replayed_event_counts_once(stored: ClickHouse) -> None:
    """wf-b's run start stored twice is one run."""
    _, answer = ask(
        stored, "2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", "day", "UTC", workflow_id="wf-b"
    )
    assert (answer.totals.runs, answer.totals.completed, answer.totals.completion_rate) == (
        1,
        1,
        100.0,
    )


@pytest.mark.parametrize(
    ("as_of", "going"),
    [
        ("2026-10-23T19:59:59.999Z", 0),  # before any start
        ("2026-10-25T00:29:59.999Z", 1),  # wf-c's r9, started the day before
        ("2026-10-25T00:30:00Z", 2),  # and r1, started at as_of
        ("2026-10-25T00:50:00Z", 1),  # r1 completed at as_of
        ("2026-10-25T12:00:00Z", 2),  # r3 and wf-d's r1 (wf-c's r9 is done)
        ("2026-10-26T10:00:00Z", 1),  # r3 completed: wf-d's r1 never ends
    ],
)
def test_runs_in_progress_at_as_of(stored: ClickHouse, as_of: str, going: int) -> None:
    """A run started at or before as_of without a completion or failure by then is going."""
    buckets = question_grid("2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", "day", "UTC")
    q = WorkflowQuery("acme", buckets, "UTC", "day", ms(as_of))
    answer = workflow_answer(stored, q)
    assert answer.runs_in_progress == going
    assert_matches_oracle(q, answer)


def test_workflow_filter_keeps_one_workflow(stored: ClickHouse) -> None:
    """Under workflow wf-a: its three runs, its runs going, and only it in the list."""
    q, answer = ask(
        stored,
        "2026-10-25T00:00:00+01:00",
        "2026-10-26T00:00:00Z",
        "hour",
        LISBON,
        workflow_id="wf-a",
    )
    assert (answer.totals.runs, answer.runs_in_progress) == (3, 1)
    assert [e.workflow_id for e in answer.top] == ["wf-a"]
    assert_matches_oracle(q, answer)


def test_top_workflows_by_runs_then_id_with_latest_names(stored: ClickHouse) -> None:
    """By runs: wf-a (3) then wf-b and wf-d (1, by id), wf-c (0); names are the latest non-empty
    ones by occurred_at, None when never named; runs going are per workflow."""
    _, answer = ask(stored, "2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", "day", "UTC")
    assert [(e.workflow_id, e.name, e.counts.runs, e.runs_in_progress) for e in answer.top] == [
        ("wf-a", "Onboarding v2", 3, 1),
        ("wf-b", None, 1, 0),
        ("wf-d", None, 1, 1),
        ("wf-c", "Winback", 0, 0),
    ]


def test_top_workflows_by_a_rate_leave_null_rates_out_and_honour_the_limit(
    stored: ClickHouse,
) -> None:
    """By completion rate wf-b (100) leads, wf-a and wf-d follow; wf-c (no runs) is left out."""
    day = ("2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", "day", "UTC")
    _, answer = ask(stored, *day, top_by="completion_rate")
    assert [(e.workflow_id, e.counts.completion_rate) for e in answer.top] == [
        ("wf-b", 100.0),
        ("wf-a", 33.33),
        ("wf-d", 0.0),
    ]
    _, answer = ask(stored, *day, top_by="conversion_rate", limit=2)
    assert [(e.workflow_id, e.counts.conversion_rate) for e in answer.top] == [
        ("wf-a", 100.0),
        ("wf-b", 0.0),
    ]


def test_rates_are_null_without_denominators(stored: ClickHouse) -> None:
    """An empty bucket has zero counts and null rates; a range with no events, null totals."""
    q, answer = ask(stored, "2026-09-01T00:00:00Z", "2026-09-03T00:00:00Z", "day", "UTC")
    assert shown(answer.totals) == dict(figures(Counter()))
    assert answer.totals.completion_rate is None and answer.totals.conversion_rate is None
    assert answer.top == ()
    assert_matches_oracle(q, answer)
