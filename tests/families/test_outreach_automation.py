"""Automation figures from raw events in chdb, against an independent recomputation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from pulse.families.outreach.automation import (
    AutomationAnswer,
    AutomationQuery,
    automation_answer,
)
from pulse.sinks.clickhouse import ClickHouse
from tests.families.flows_events import Row, ev, insert, pct, per_bucket, question_grid, unique

pytestmark = pytest.mark.clickhouse

DAY = ("2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z", "day", "UTC")


def auto(kind: str, flow: str, at: str, channel: str = "", tenant: str = "acme") -> Row:
    return ev(f"automation.{kind}", at, tenant, flow_id=flow, channel=channel)


# acme: flow-1 on email and without channel, flow-2 on sms (one failure), flow-3 only fails;
# globex reuses flow-1 with many failures.
ROWS = [
    auto("executed", "flow-1", "2026-10-25T00:10:00Z", "email"),
    auto("executed", "flow-1", "2026-10-25T00:40:00Z"),
    auto("failed", "flow-1", "2026-10-25T01:20:00Z", "email"),
    auto("executed", "flow-2", "2026-10-25T01:30:00Z", "sms"),
    auto("executed", "flow-2", "2026-10-25T05:00:00Z", "sms"),
    auto("failed", "flow-2", "2026-10-25T19:00:00Z", "sms"),
    auto("failed", "flow-3", "2026-10-25T20:00:00Z"),
    auto("executed", "flow-1", "2026-10-26T09:00:00Z", "email"),
    *(auto("failed", "flow-1", "2026-10-25T00:20:00Z", "email", "globex") for _ in range(5)),
]


@pytest.fixture
def stored(db: ClickHouse) -> ClickHouse:
    """ROWS stored, with flow-2's first execution stored a second time (a replayed batch)."""
    insert(db, ROWS)
    insert(db, [ROWS[3]])
    return db


def figures(counts: Counter[str]) -> dict[str, Any]:
    executed, failed = counts["automation.executed"], counts["automation.failed"]
    return {"executed": executed, "failed": failed, "failure_rate": pct(failed, executed + failed)}


def shown(counts: Any) -> dict[str, Any]:
    return {name: getattr(counts, name) for name in ("executed", "failed", "failure_rate")}


def ask(
    db: ClickHouse, start: str, end: str, granularity: str, zone: str, **kw: Any
) -> tuple[AutomationQuery, AutomationAnswer]:
    buckets = question_grid(start, end, granularity, zone)
    q = AutomationQuery(kw.pop("tenant", "acme"), buckets, zone, granularity, **kw)  # type: ignore[arg-type]
    return q, automation_answer(db, q)


def assert_matches_oracle(q: AutomationQuery, answer: AutomationAnswer) -> None:
    def keep(row: Row) -> bool:
        return (
            row["tenant_id"] == q.tenant_id
            and q.flow_id in (None, row["flow_id"])
            and q.channel in (None, row["channel"])
        )

    counts, total = per_bucket(ROWS, q.buckets, q.granularity, q.time_zone, keep)
    assert [shown(b) for b in answer.buckets] == [figures(c) for c in counts]
    assert shown(answer.totals) == figures(total)
    by_channel: dict[str | None, Counter[str]] = {}
    for row in unique(ROWS):
        if keep(row) and q.buckets[0].start_ms <= row["occurred_at"] < q.buckets[-1].end_ms:
            by_channel.setdefault(row["channel"] or None, Counter())[row["event_type"]] += 1
    ordered = sorted(by_channel, key=lambda c: (c is None, c or ""))
    assert [(c, shown(n)) for c, n in answer.channels] == [
        (c, figures(by_channel[c])) for c in ordered
    ]


@pytest.mark.parametrize("granularity", ["hour", "day", "week", "month"])
@pytest.mark.parametrize("zone", ["Europe/Lisbon", "Asia/Kolkata", "America/Sao_Paulo"])
def test_buckets_totals_and_channels_equal_the_recomputation(
    stored: ClickHouse, granularity: str, zone: str
) -> None:
    """Every bucket, the totals and the channel list equal the oracle's in each zone."""
    q, answer = ask(stored, "2026-09-30T00:00:00Z", "2026-11-02T00:00:00Z", granularity, zone)
    assert_matches_oracle(q, answer)


def test_fall_back_hours_are_two_buckets(stored: ClickHouse) -> None:
    """Lisbon's first 01:00 hour holds flow-1's 00:10Z and 00:40Z runs, the second the failure
    and flow-2's execution."""
    q, answer = ask(
        stored, "2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00Z", "hour", "Europe/Lisbon"
    )
    assert len(answer.buckets) == 25
    assert shown(answer.buckets[1]) == {"executed": 2, "failed": 0, "failure_rate": 0.0}
    assert shown(answer.buckets[2]) == {"executed": 1, "failed": 1, "failure_rate": 50.0}
    assert_matches_oracle(q, answer)


def test_events_without_channel_count_and_form_a_null_channel(stored: ClickHouse) -> None:
    """Totals hold every event; the list shows email, sms, then null for events without one."""
    _, answer = ask(stored, *DAY)
    assert shown(answer.totals) == {"executed": 4, "failed": 3, "failure_rate": 42.86}
    assert [(c, n.executed, n.failed) for c, n in answer.channels] == [
        ("email", 1, 1),
        ("sms", 2, 1),
        (None, 1, 1),
    ]


def test_channel_and_flow_filters(stored: ClickHouse) -> None:
    """A channel filter matches only that channel (not events without one); flow keeps one."""
    q, answer = ask(stored, *DAY, channel="email")
    assert shown(answer.totals) == {"executed": 1, "failed": 1, "failure_rate": 50.0}
    assert [c for c, _ in answer.channels] == ["email"]
    assert_matches_oracle(q, answer)
    q, answer = ask(stored, *DAY, flow_id="flow-1")
    assert shown(answer.totals) == {"executed": 2, "failed": 1, "failure_rate": 33.33}
    assert [f for f, _ in answer.top_flows] == ["flow-1"]
    assert_matches_oracle(q, answer)


def test_top_flows_by_a_figure_with_ties_by_id(stored: ClickHouse) -> None:
    """By executions flow-1 and flow-2 tie (2) and go by id; by failure rate flow-3 (100 %)
    leads; by failures all three tie at 1."""
    _, answer = ask(stored, *DAY)
    assert [(f, n.executed) for f, n in answer.top_flows] == [
        ("flow-1", 2),
        ("flow-2", 2),
        ("flow-3", 0),
    ]
    _, answer = ask(stored, *DAY, top_by="failure_rate", limit=2)
    assert [(f, n.failure_rate) for f, n in answer.top_flows] == [
        ("flow-3", 100.0),
        ("flow-1", 33.33),
    ]
    _, answer = ask(stored, *DAY, top_by="failed")
    assert [f for f, _ in answer.top_flows] == ["flow-1", "flow-2", "flow-3"]


def test_tenants_sharing_flow_ids_never_mix(stored: ClickHouse) -> None:
    """globex's flow-1 has only its five failures."""
    q, answer = ask(stored, *DAY, tenant="globex")
    assert shown(answer.totals) == {"executed": 0, "failed": 5, "failure_rate": 100.0}
    assert_matches_oracle(q, answer)


def test_failure_rate_is_null_without_events(stored: ClickHouse) -> None:
    """An empty range: zeros and a null failure rate everywhere, empty lists."""
    q, answer = ask(stored, "2026-09-01T00:00:00Z", "2026-09-02T00:00:00Z", "hour", "UTC")
    assert answer.totals.failure_rate is None and answer.top_flows == answer.channels == ()
    assert all(b.failure_rate is None for b in answer.buckets)
    assert_matches_oracle(q, answer)
