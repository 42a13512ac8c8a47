"""Questions over a tenant with months of history before the range: the backlog opens from the
day rows, earlier creations answered in range still count, and every re-filing or erasure of
an old moment reaches the day rows (expected figures written by hand)."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.families.breakdowns.spec import BreakdownRequest
from pulse.families.grid import grid
from pulse.families.helpdesk.answers import helpdesk_answer
from pulse.families.helpdesk.breakdown import figures, helpdesk_breakdown
from pulse.families.helpdesk.derived import HelpdeskMoments
from pulse.families.helpdesk.model import DEFAULT_SLA_MS, HelpdeskQuery
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import created, event, ms, reply, store
from tests.families.figures import frt

pytestmark = pytest.mark.clickhouse

RANGE = ("2026-03-02T00:00Z", "2026-03-04T00:00Z")
# h3's first reply: 50 days and one hour after its creation.
LATE_FRT_S = 50 * 86_400 + 3_600
# Everything of the range lands on March 2nd: r1 created (and breached two hours later,
# unanswered), h3's first response; h1, h3 and r1 open at its end.
MARCH_2ND = frt(LATE_FRT_S, sla_breached=1, sla_breach_rate=100.0, backlog=3)


def question(**filters: Any) -> HelpdeskQuery:
    buckets = grid(ms(RANGE[0]), ms(RANGE[1]), "day", "UTC", 10)
    return HelpdeskQuery("acme", buckets, "UTC", "day", ms(RANGE[1]), DEFAULT_SLA_MS, **filters)


def history(db: ClickHouse) -> None:
    """Three conversations of January (one still open, one resolved, one answered only in
    March) and one created in range."""
    store(
        db,
        [
            created("h1", "2026-01-05T10:00Z", agent_id="ann"),
            created("h2", "2026-01-06T10:00Z", agent_id="ann"),
            event("conversation.resolved", "h2", "2026-01-07T10:00Z"),
            created("h3", "2026-01-11T09:00Z"),
            reply("h3", "2026-03-02T10:00Z", agent_id="cy"),
            created("r1", "2026-03-02T09:00Z", agent_id="ann"),
        ],
    )


def test_backlog_opens_from_earlier_days_and_an_old_creation_answered_in_range_counts(
    db: ClickHouse,
) -> None:
    """h1 and h3 open the backlog; h3's first response lands in the range with its whole FRT."""
    history(db)
    answer = helpdesk_answer(db, question())
    assert answer.totals == MARCH_2ND
    assert [b.backlog for b in answer.buckets] == [3, 3]


def test_reassigning_an_old_conversation_moves_its_backlog_between_agents(
    db: ClickHouse,
) -> None:
    """h1, created by ann in January, assigned to bob: the opening follows it to bob."""
    history(db)
    assert helpdesk_answer(db, question(agent="ann")).totals.backlog == 2  # h1, r1
    store(db, [event("conversation.assigned", "h1", "2026-02-27T12:00Z", agent_id="bob")])
    assert helpdesk_answer(db, question(agent="ann")).totals.backlog == 1  # r1
    assert helpdesk_answer(db, question(agent="bob")).totals.backlog == 1  # h1
    rows = helpdesk_breakdown(db, question(), BreakdownRequest(("agent",), "backlog")).rows
    assert {dict(r.keys)["agent"]: figures(r).backlog for r in rows} == {
        "ann": 1,
        "bob": 1,
        "cy": 1,
    }


def test_a_late_resolution_of_an_old_conversation_closes_it_in_the_opening(
    db: ClickHouse,
) -> None:
    """h1 resolved in February, stored after the first question: the backlog drops by one."""
    history(db)
    store(db, [event("conversation.resolved", "h1", "2026-02-10T10:00Z")])
    assert helpdesk_answer(db, question()).totals.backlog == 2


def test_breakdown_by_day_carries_the_opening_and_the_late_first_response(
    db: ClickHouse,
) -> None:
    """By day: the opening backlog under each day, h3's first response on March 2nd."""
    history(db)
    answer = helpdesk_breakdown(db, question(), BreakdownRequest(("day",), "backlog"))
    found = {dict(r.keys)["day"]: figures(r) for r in answer.rows}
    assert set(found) == {"2026-03-02"}
    assert found["2026-03-02"] == MARCH_2ND
    assert figures(answer.total) == helpdesk_answer(db, question()).totals


def test_day_rows_match_a_recount_after_refiling_and_show_no_differences(
    db: ClickHouse,
) -> None:
    """The day rows after a reassignment equal the sums a recount would write: verify is quiet."""
    history(db)
    store(db, [event("conversation.assigned", "h1", "2026-02-27T12:00Z", agent_id="bob")])
    keys = {("acme", c) for c in ("h1", "h2", "h3", "r1")}
    assert HelpdeskMoments().differences(db, keys) == []
    rows = db.query(
        "SELECT toString(day) AS day, agent, change FROM helpdesk_backlog_days FINAL"
        " WHERE change != 0 ORDER BY day, agent"
    )
    assert [(r["day"], r["agent"], r["change"]) for r in rows] == [
        ("2026-01-05", "bob", 1),
        ("2026-01-06", "ann", 1),
        ("2026-01-07", "ann", -1),
        ("2026-01-11", "cy", 1),
        ("2026-03-02", "ann", 1),
    ]


def test_a_lost_day_row_is_a_difference(db: ClickHouse) -> None:
    """A day row deleted behind the refresh's back is listed by ``differences``."""
    history(db)
    db.execute("DELETE FROM helpdesk_backlog_days WHERE day = toDate('2026-01-05')")
    found = HelpdeskMoments().differences(db, {("acme", "h1")})
    assert [(d.table, d.column, d.stored, d.recomputed) for d in found] == [
        ("helpdesk_backlog_days", "exists", False, True)
    ]


def test_one_batch_of_two_tenants_recounts_the_days_of_each(db: ClickHouse) -> None:
    """One refresh, two tenants sharing a conversation id: each tenant's days, none mixed."""
    store(
        db,
        [
            created("c1", "2026-01-05T10:00Z"),
            event("conversation.resolved", "c1", "2026-01-08T10:00Z"),
            created("c1", "2026-02-01T10:00Z", tenant="globex", event_id="g1"),
        ],
    )
    rows = db.query(
        "SELECT tenant_id, toString(day) AS day, change FROM helpdesk_backlog_days FINAL"
        " WHERE change != 0 ORDER BY tenant_id, day"
    )
    assert [(r["tenant_id"], r["day"], r["change"]) for r in rows] == [
        ("acme", "2026-01-05", 1),
        ("acme", "2026-01-08", -1),
        ("globex", "2026-02-01", 1),
    ]


def test_the_longest_wait_bounds_the_search_yet_a_reply_at_the_range_start_counts(
    db: ClickHouse,
) -> None:
    """A creation whose reply came exactly as the range began, after the tenant's longest wait,
    still lands its first response in the range; the longest wait is that reply's."""
    store(
        db,
        [
            created("old", "2026-01-01T00:00Z"),
            reply("old", RANGE[0], agent_id="cy"),
            created("quick", "2026-02-01T00:00Z"),
            reply("quick", "2026-02-01T00:05Z", agent_id="cy"),
        ],
    )
    longest = db.query(
        "SELECT maxMerge(wait_ms) AS ms FROM helpdesk_longest_waits WHERE tenant_id = 'acme'"
    )
    assert longest == [{"ms": ms(RANGE[0]) - ms("2026-01-01T00:00Z")}]
    answer = helpdesk_answer(db, question())
    assert answer.totals.first_responses == 1
    assert answer.totals.frt_avg_seconds == (ms(RANGE[0]) - ms("2026-01-01T00:00Z")) / 1000
