"""Sequence figures, the step funnel and active enrollments from raw events in chdb, against an
independent recomputation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from pulse.families.outreach.sequences import SequenceAnswer, SequenceQuery, sequence_answer
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
    unique,
)

pytestmark = pytest.mark.clickhouse

AS_OF = ms("2026-10-25T12:00:00+00:00")
DAY = ("2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", "day", "UTC")


def seq(kind: str, sequence: str, enrollment: str, at: str, tenant: str = "acme", **f: Any) -> Row:
    return ev(f"sequence.{kind}", at, tenant, sequence_id=sequence, enrollment_id=enrollment, **f)


# acme: s1's e1 replies at step 2 (stopping it), e2 completes after AS_OF (active at AS_OF),
# e3 completes before AS_OF; s2's e1 is still active (never ends), and a step without a number.
# globex reuses s1/e1 and never replies.
ROWS = [
    seq("enrolled", "s1", "e1", "2026-10-25T00:30:00Z"),
    seq("step_executed", "s1", "e1", "2026-10-25T00:31:00Z", step_number=1),
    seq("step_executed", "s1", "e1", "2026-10-25T01:30:00Z", step_number=2),
    seq("replied", "s1", "e1", "2026-10-25T01:45:00Z", step_number=2),
    seq("enrolled", "s1", "e2", "2026-10-25T02:00:00Z"),
    seq("step_executed", "s1", "e2", "2026-10-25T02:01:00Z", step_number=1),
    seq("completed", "s1", "e2", "2026-10-27T09:00:00Z"),
    seq("enrolled", "s1", "e3", "2026-10-25T03:00:00Z"),
    seq("step_executed", "s1", "e3", "2026-10-25T03:01:00Z", step_number=1),
    seq("completed", "s1", "e3", "2026-10-25T08:00:00Z"),
    seq("enrolled", "s2", "e1", "2026-10-25T18:40:00Z"),
    seq("step_executed", "s2", "e1", "2026-10-25T18:41:00Z"),
    seq("step_executed", "s2", "e1", "2026-10-25T19:00:00Z", step_number=1),
    seq("replied", "s2", "e9", "2026-10-25T20:00:00Z"),
    seq("enrolled", "s1", "e1", "2026-10-25T00:20:00Z", "globex"),
    seq("step_executed", "s1", "e1", "2026-10-25T00:21:00Z", "globex", step_number=1),
]
FIGURES = ("enrollments", "steps_executed", "replied", "completed", "reply_rate")
TYPES = {
    "sequence.enrolled": "enrollments",
    "sequence.step_executed": "steps_executed",
    "sequence.replied": "replied",
    "sequence.completed": "completed",
}


@pytest.fixture
def stored(db: ClickHouse) -> ClickHouse:
    """ROWS stored, with e1's reply stored a second time (a replayed batch)."""
    insert(db, ROWS)
    insert(db, [ROWS[3]])
    return db


def figures(counts: Counter[str]) -> dict[str, Any]:
    n = {name: counts[kind] for kind, name in TYPES.items()}
    return {**n, "reply_rate": pct(n["replied"], n["enrollments"])}


def shown(counts: Any) -> dict[str, Any]:
    return {name: getattr(counts, name) for name in FIGURES}


def ask(
    db: ClickHouse, start: str, end: str, granularity: str, zone: str, **kw: Any
) -> tuple[SequenceQuery, SequenceAnswer]:
    buckets = question_grid(start, end, granularity, zone)
    tenant = kw.pop("tenant", "acme")
    as_of = kw.pop("as_of", AS_OF)
    q = SequenceQuery(tenant, buckets, zone, granularity, as_of, **kw)  # type: ignore[arg-type]
    return q, sequence_answer(db, q)


def expected_funnel(q: SequenceQuery) -> list[tuple[int, int, int]]:
    steps: dict[int, Counter[str]] = {}
    for row in unique(ROWS):
        in_range = q.buckets[0].start_ms <= row["occurred_at"] < q.buckets[-1].end_ms
        mine = row["tenant_id"] == q.tenant_id and q.sequence_id in (None, row["sequence_id"])
        if in_range and mine and row["step_number"] is not None:
            steps.setdefault(row["step_number"], Counter())[row["event_type"]] += 1
    return [
        (step, c["sequence.step_executed"], c["sequence.replied"])
        for step, c in sorted(steps.items())
    ]


def assert_matches_oracle(q: SequenceQuery, answer: SequenceAnswer) -> None:
    def keep(row: Row) -> bool:
        wanted = q.sequence_id is None or row["sequence_id"] == q.sequence_id
        return row["tenant_id"] == q.tenant_id and wanted

    counts, total = per_bucket(ROWS, q.buckets, q.granularity, q.time_zone, keep)
    assert [shown(b) for b in answer.buckets] == [figures(c) for c in counts]
    assert shown(answer.totals) == figures(total)
    active = open_entities(
        [r for r in ROWS if keep(r) and r["event_type"] != "sequence.step_executed"],
        q.as_of_ms,
        lambda r: (r["sequence_id"], r["enrollment_id"]),
        "sequence.enrolled",
    )
    assert answer.active_enrollments == sum(active.values())
    assert {e.sequence_id: e.active_enrollments for e in answer.top} == {
        e.sequence_id: active[e.sequence_id] for e in answer.top
    }
    assert [(s.step_number, s.executed, s.replied) for s in answer.funnel] == expected_funnel(q)


@pytest.mark.parametrize("granularity", ["hour", "day", "week", "month"])
def test_buckets_totals_funnel_and_actives_equal_the_recomputation(
    stored: ClickHouse, granularity: str
) -> None:
    """Every bucket, the totals, the funnel and active enrollments equal the oracle's (Lisbon)."""
    q, answer = ask(
        stored, "2026-10-01T00:00:00+01:00", "2026-11-01T00:00:00Z", granularity, "Europe/Lisbon"
    )
    assert_matches_oracle(q, answer)


def test_fall_back_hours_and_kolkata_days(stored: ClickHouse) -> None:
    """Lisbon's two 01:00 hours split e1's start and its step 2; in Kolkata 18:40Z is the 26th."""
    q, answer = ask(
        stored, "2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00Z", "hour", "Europe/Lisbon"
    )
    assert len(answer.buckets) == 25
    first, second = answer.buckets[1], answer.buckets[2]
    assert (first.enrollments, first.steps_executed, first.replied) == (1, 1, 0)
    assert (second.enrollments, second.steps_executed, second.replied) == (0, 1, 1)
    assert_matches_oracle(q, answer)
    q, answer = ask(
        stored, "2026-10-25T00:00:00+05:30", "2026-10-27T00:00:00+05:30", "day", "Asia/Kolkata"
    )
    assert [b.enrollments for b in answer.buckets] == [3, 1]
    assert_matches_oracle(q, answer)


def test_funnel_counts_by_step_and_leaves_out_events_without_one(stored: ClickHouse) -> None:
    """Step 1: four executions; step 2: one execution and the reply; s2's unnumbered step and
    unnumbered reply are in the counts but not in the funnel."""
    _, answer = ask(stored, *DAY)
    assert [(s.step_number, s.executed, s.replied) for s in answer.funnel] == [
        (1, 4, 0),
        (2, 1, 1),
    ]
    assert (answer.totals.steps_executed, answer.totals.replied) == (6, 2)


@pytest.mark.parametrize(
    ("as_of", "active"),
    [
        ("2026-10-25T00:29:59.999Z", 0),
        ("2026-10-25T00:30:00Z", 1),  # e1 enrolled at as_of
        ("2026-10-25T01:45:00Z", 0),  # e1's reply at as_of stops it
        ("2026-10-25T03:00:00Z", 2),  # e2 and e3
        ("2026-10-25T12:00:00Z", 1),  # e3 completed; e2 completes after as_of
        ("2026-10-25T19:00:00Z", 2),  # s2's e1
        ("2026-10-27T09:00:00Z", 1),  # e2 completed at as_of
    ],
)
def test_active_enrollments_at_as_of(stored: ClickHouse, as_of: str, active: int) -> None:
    """Enrolled at or before as_of, neither completed nor replied by then; a reply of an
    enrollment never enrolled activates nothing."""
    q, answer = ask(stored, *DAY, as_of=ms(as_of))
    assert answer.active_enrollments == active
    assert_matches_oracle(q, answer)


def test_tenants_sharing_sequence_and_enrollment_ids_never_mix(stored: ClickHouse) -> None:
    """globex's s1/e1 is enrolled with one step and stays active; acme's reply is not its."""
    q, answer = ask(stored, *DAY, tenant="globex")
    assert shown(answer.totals) == {
        "enrollments": 1,
        "steps_executed": 1,
        "replied": 0,
        "completed": 0,
        "reply_rate": 0.0,
    }
    assert answer.active_enrollments == 1
    assert_matches_oracle(q, answer)


def test_sequence_filter_and_top_sequences(stored: ClickHouse) -> None:
    """Under s2: its counts, funnel and active enrollment only. The list ranks by enrollments,
    or by reply rate with ties by id, and carries active enrollments at as_of."""
    q, answer = ask(stored, *DAY, sequence_id="s2", as_of=ms("2026-10-25T19:00:00Z"))
    assert (answer.totals.enrollments, answer.active_enrollments) == (1, 1)
    assert [s.step_number for s in answer.funnel] == [1]
    assert_matches_oracle(q, answer)
    _, answer = ask(stored, *DAY)
    assert [(e.sequence_id, e.enrollments, e.active_enrollments) for e in answer.top] == [
        ("s1", 3, 1),
        ("s2", 1, 0),
    ]
    _, answer = ask(stored, *DAY, top_by="reply_rate", limit=1)
    assert [(e.sequence_id, e.reply_rate) for e in answer.top] == [("s2", 100.0)]


def test_rates_are_null_without_enrollments(stored: ClickHouse) -> None:
    """A range without events: zeros, null reply rate, an empty funnel and list."""
    q, answer = ask(stored, "2026-09-01T00:00:00Z", "2026-09-02T00:00:00Z", "hour", "UTC")
    assert answer.totals.reply_rate is None and answer.funnel == () and answer.top == ()
    assert all(b.reply_rate is None for b in answer.buckets)
    assert_matches_oracle(q, answer)
