"""helpdesk_answer on a real chdb: every figure against values computed by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pulse.families.grid import grid
from pulse.families.helpdesk.answers import helpdesk_answer
from pulse.families.helpdesk.model import DEFAULT_SLA_MS, Granularity, HelpdeskQuery
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.migrator import Migrator
from tests.families.events import COLUMNS, created, event, ms, reply, store
from tests.families.figures import fig

pytestmark = pytest.mark.clickhouse


def ask(
    db: ClickHouse,
    start: str,
    end: str,
    granularity: Granularity = "day",
    tz: str = "UTC",
    as_of: str = "2026-03-06T00:00Z",
    sla: Mapping[str, int] = DEFAULT_SLA_MS,
    **filters: Any,
) -> Any:
    buckets = grid(ms(start), ms(end), granularity, tz, 1000)
    query = HelpdeskQuery("acme", buckets, tz, granularity, ms(as_of), sla, **filters)
    return helpdesk_answer(db, query)


def week() -> list[dict[str, Any]]:
    """Four conversations over 2026-03-02..05 (UTC), described in the test below."""
    return [
        created("c1", "2026-03-02T09:00Z", priority="high", agent_id="ann", org_unit="support"),
        reply("c1", "2026-03-02T08:59Z", agent_id="eve"),
        reply("c1", "2026-03-02T09:01Z", sender="bot"),
        reply("c1", "2026-03-02T09:02Z", sender="system"),
        event("conversation.assigned", "c1", "2026-03-02T09:10Z", agent_id="bob", org_unit="sales"),
        event("conversation.assigned", "c1", "2026-03-02T09:20Z"),
        reply("c1", "2026-03-02T09:30Z", agent_id="bob"),
        event("conversation.resolved", "c1", "2026-03-02T12:00Z"),
        event("csat.submitted", "c1", "2026-03-02T12:05Z", score=5),
        created("c2", "2026-03-02T10:00Z", channel="email"),
        reply("c2", "2026-03-03T09:00Z", agent_id="cid", channel="email"),
        event("conversation.resolved", "c2", "2026-03-03T10:00Z", channel="email"),
        event("conversation.reopened", "c2", "2026-03-03T11:00Z", channel="email"),
        event("conversation.resolved", "c2", "2026-03-04T10:00Z", channel="email"),
        event("csat.submitted", "c2", "2026-03-04T10:10Z", score=3, channel="email"),
        created("c3", "2026-03-03T08:00Z", priority="urgent", agent_id="ann", org_unit="support"),
        event("conversation.resolved", "c3", "2026-03-03T08:10Z"),
        created("c4", "2026-03-04T23:00Z", priority="low", agent_id="dan"),
        created("g1", "2026-03-02T09:00Z", tenant="globex"),
        event("conversation.resolved", "g1", "2026-03-03T09:00Z", tenant="globex"),
    ]


# c1: high (deadline 10:00), agent message before creation and bot/system ones ignored, FRT
# 30 min (met), resolved after 3 h, CSAT 5. c2: normal (deadline 14:00), replied next day
# (FRT 23 h, breached at 14:00), resolved after 24 h, reopened, resolved again after 48 h, CSAT 3.
# c3: urgent, resolved after 10 min without a reply before its deadline: neither met nor breached.
# c4: low, created 03-04 23:00, never answered: breached at its deadline 03-05 23:00.
DAYS = [
    fig(),
    fig(
        conversations_created=2,
        conversations_resolved=1,
        first_responses=1,
        frt_avg_seconds=1800.0,
        frt_p50_seconds=1800.0,
        frt_p90_seconds=1800.0,
        resolutions=1,
        resolution_avg_seconds=10800.0,
        resolution_p50_seconds=10800.0,
        resolution_p90_seconds=10800.0,
        sla_met=1,
        sla_breached=1,
        sla_breach_rate=50.0,
        backlog=1,
        csat_responses=1,
        csat_avg=5.0,
        csat_percent=100.0,
    ),
    fig(
        conversations_created=1,
        conversations_resolved=2,
        conversations_reopened=1,
        first_responses=1,
        frt_avg_seconds=82800.0,
        frt_p50_seconds=82800.0,
        frt_p90_seconds=82800.0,
        resolutions=2,
        resolution_avg_seconds=43500.0,
        resolution_p50_seconds=600.0,
        resolution_p90_seconds=86400.0,
        backlog=1,
    ),
    fig(
        conversations_created=1,
        conversations_resolved=1,
        resolutions=1,
        resolution_avg_seconds=172800.0,
        resolution_p50_seconds=172800.0,
        resolution_p90_seconds=172800.0,
        backlog=1,
        csat_responses=1,
        csat_avg=3.0,
        csat_percent=0.0,
    ),
    fig(sla_breached=1, sla_breach_rate=100.0, backlog=1),
    fig(backlog=1),
]
TOTALS = fig(
    conversations_created=4,
    conversations_resolved=4,
    conversations_reopened=1,
    first_responses=2,
    frt_avg_seconds=42300.0,
    frt_p50_seconds=1800.0,
    frt_p90_seconds=82800.0,
    resolutions=4,
    resolution_avg_seconds=67650.0,
    resolution_p50_seconds=10800.0,
    resolution_p90_seconds=172800.0,
    sla_met=1,
    sla_breached=2,
    sla_breach_rate=66.67,
    backlog=1,
    csat_responses=2,
    csat_avg=4.0,
    csat_percent=50.0,
)


def test_every_figure_of_a_week_by_day(db: ClickHouse) -> None:
    """Day buckets (empty ones zero and null, backlog carried) and totals, computed by hand."""
    store(db, week())
    answer = ask(db, "2026-03-01T00:00Z", "2026-03-07T00:00Z")
    assert list(answer.buckets) == DAYS
    assert answer.totals == TOTALS


def test_a_batch_stored_twice_changes_nothing(db: ClickHouse) -> None:
    """The same events again (same block, reversed, in halves) leave every figure as it was."""
    rows = week()
    store(db, rows)
    store(db, rows)
    store(db, rows[::-1])
    store(db, rows[:7])
    store(db, rows[7:])
    answer = ask(db, "2026-03-01T00:00Z", "2026-03-07T00:00Z")
    assert list(answer.buckets) == DAYS
    assert answer.totals == TOTALS


def test_facts_of_rows_stored_before_the_migration_are_backfilled(
    db: ClickHouse, settings: Settings
) -> None:
    """Rolling facts and moments back, storing raw events, then migrating up: same figures."""
    migrator = Migrator(db, settings.clickhouse.database)
    migrator.down(5)
    db.insert("events_raw", week(), COLUMNS)
    migrator.up()
    assert ask(db, "2026-03-01T00:00Z", "2026-03-07T00:00Z").totals == TOTALS


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {"agent": "bob"},  # c1: its latest assignment naming an agent
            fig(
                conversations_created=1,
                conversations_resolved=1,
                first_responses=1,
                frt_avg_seconds=1800.0,
                frt_p50_seconds=1800.0,
                frt_p90_seconds=1800.0,
                resolutions=1,
                resolution_avg_seconds=10800.0,
                resolution_p50_seconds=10800.0,
                resolution_p90_seconds=10800.0,
                sla_met=1,
                sla_breach_rate=0.0,
                csat_responses=1,
                csat_avg=5.0,
                csat_percent=100.0,
            ),
        ),
        (
            {"agent": "ann"},  # c3 by its creation; c1 was reassigned
            fig(
                conversations_created=1,
                conversations_resolved=1,
                resolutions=1,
                resolution_avg_seconds=600.0,
                resolution_p50_seconds=600.0,
                resolution_p90_seconds=600.0,
            ),
        ),
        (
            {"agent": "cid"},  # c2 by its first agent reply
            fig(
                conversations_created=1,
                conversations_resolved=2,
                conversations_reopened=1,
                first_responses=1,
                frt_avg_seconds=82800.0,
                frt_p50_seconds=82800.0,
                frt_p90_seconds=82800.0,
                resolutions=2,
                resolution_avg_seconds=129600.0,
                resolution_p50_seconds=86400.0,
                resolution_p90_seconds=172800.0,
                sla_breached=1,
                sla_breach_rate=100.0,
                csat_responses=1,
                csat_avg=3.0,
                csat_percent=0.0,
            ),
        ),
        ({"agent": "eve"}, fig()),  # a message before creation is no reply
        (
            {"org_unit": "support"},  # c3 only: c1's latest assignment moved it to sales
            fig(
                conversations_created=1,
                conversations_resolved=1,
                resolutions=1,
                resolution_avg_seconds=600.0,
                resolution_p50_seconds=600.0,
                resolution_p90_seconds=600.0,
            ),
        ),
        (
            {"channel": "whatsapp", "priority": "low"},  # c4
            fig(conversations_created=1, sla_breached=1, sla_breach_rate=100.0, backlog=1),
        ),
        (
            {"channel": "email", "priority": "normal"},  # c2, agent independent
            fig(
                conversations_created=1,
                conversations_resolved=2,
                conversations_reopened=1,
                first_responses=1,
                frt_avg_seconds=82800.0,
                frt_p50_seconds=82800.0,
                frt_p90_seconds=82800.0,
                resolutions=2,
                resolution_avg_seconds=129600.0,
                resolution_p50_seconds=86400.0,
                resolution_p90_seconds=172800.0,
                sla_breached=1,
                sla_breach_rate=100.0,
                csat_responses=1,
                csat_avg=3.0,
                csat_percent=0.0,
            ),
        ),
        ({"priority": "high", "channel": "email"}, fig()),
    ],
)
def test_filters_by_agent_org_unit_channel_and_priority(
    db: ClickHouse, filters: dict[str, str], expected: Any
) -> None:
    """Each filter keeps the conversations that belong to it under the documented rules."""
    store(db, week())
    assert ask(db, "2026-03-01T00:00Z", "2026-03-07T00:00Z", **filters).totals == expected


def test_sla_reply_at_the_deadline_is_met_one_ms_later_breached(db: ClickHouse) -> None:
    """Custom urgent target 10 min: met in the reply's hour, breached in the deadline's hour."""
    store(
        db,
        [
            created("x", "2026-03-02T10:00Z", priority="urgent"),
            reply("x", "2026-03-02T10:10:00.000Z"),
            created("y", "2026-03-02T10:00Z", priority="urgent"),
            reply("y", "2026-03-02T10:10:00.001Z"),
            created("z", "2026-03-02T10:55Z", priority="urgent"),
            reply("z", "2026-03-02T12:30Z"),
            created("w", "2026-03-02T12:55Z", priority="urgent"),
        ],
    )
    sla = {**DEFAULT_SLA_MS, "urgent": 600_000}
    answer = ask(
        db, "2026-03-02T10:00Z", "2026-03-02T13:00Z", "hour", as_of="2026-03-02T13:00Z", sla=sla
    )
    assert list(answer.buckets) == [
        fig(
            conversations_created=3,
            first_responses=2,
            frt_avg_seconds=600.001,
            frt_p50_seconds=600.0,
            frt_p90_seconds=600.001,
            sla_met=1,
            sla_breached=1,
            sla_breach_rate=50.0,
            backlog=3,
        ),
        fig(sla_breached=1, sla_breach_rate=100.0, backlog=3),
        fig(
            conversations_created=1,
            first_responses=1,
            frt_avg_seconds=5700.0,
            frt_p50_seconds=5700.0,
            frt_p90_seconds=5700.0,
            backlog=4,
        ),
    ]


def test_created_arriving_late_refiles_the_conversation(db: ClickHouse) -> None:
    """Before its creation arrives a conversation has no FRT and its events use their own
    channel and priority normal; once it arrives everything is filed under the creation's."""
    store(
        db,
        [
            reply("c5", "2026-03-02T10:30Z", channel="sms"),
            event("conversation.resolved", "c5", "2026-03-02T11:00Z", channel="sms"),
            event("csat.submitted", "c5", "2026-03-02T11:05Z", channel="sms", score=4),
        ],
    )
    orphan = fig(conversations_resolved=1, backlog=-1, csat_responses=1, csat_avg=4.0)
    orphan = fig(**{**orphan.__dict__, "csat_percent": 100.0})
    assert ask(db, "2026-03-02T00:00Z", "2026-03-03T00:00Z").totals == orphan
    assert ask(db, "2026-03-02T00:00Z", "2026-03-03T00:00Z", channel="sms").totals == orphan
    store(db, [created("c5", "2026-03-02T10:00Z", priority="urgent")])
    assert ask(db, "2026-03-02T00:00Z", "2026-03-03T00:00Z", channel="sms").totals == fig()
    assert ask(db, "2026-03-02T00:00Z", "2026-03-03T00:00Z").totals == fig(
        conversations_created=1,
        conversations_resolved=1,
        first_responses=1,
        frt_avg_seconds=1800.0,
        frt_p50_seconds=1800.0,
        frt_p90_seconds=1800.0,
        resolutions=1,
        resolution_avg_seconds=3600.0,
        resolution_p50_seconds=3600.0,
        resolution_p90_seconds=3600.0,
        sla_breached=1,
        sla_breach_rate=100.0,
        csat_responses=1,
        csat_avg=4.0,
        csat_percent=100.0,
    )


def created_counts(answer: Any) -> list[int]:
    return [b.conversations_created for b in answer.buckets]


def test_lisbon_fall_back_day_has_25_hours_and_two_one_oclock_hours(db: ClickHouse) -> None:
    """Europe/Lisbon 2026-10-25: the day runs 23:00Z..00:00Z; 01:00 WEST and WET are two hours."""
    store(
        db,
        [
            created("a", "2026-10-24T22:59Z"),
            created("b", "2026-10-24T23:30Z"),
            created("c", "2026-10-25T00:30Z"),
            created("d", "2026-10-25T01:30Z"),
            created("e", "2026-10-25T23:59:59.999Z"),
            created("f", "2026-10-26T00:00Z"),
        ],
    )
    days = ask(db, "2026-10-23T23:00Z", "2026-10-27T00:00Z", tz="Europe/Lisbon")
    assert created_counts(days) == [1, 4, 1]
    assert [b.backlog for b in days.buckets] == [1, 5, 6]
    hours = ask(db, "2026-10-25T00:00Z", "2026-10-25T02:00Z", "hour", tz="Europe/Lisbon")
    assert created_counts(hours) == [1, 1]
    assert hours.totals.backlog == 4


def test_new_york_spring_forward_day_has_23_hours(db: ClickHouse) -> None:
    """America/New_York 2026-03-08 runs 05:00Z..04:00Z next day."""
    store(
        db,
        [
            created("a", "2026-03-08T04:59Z"),
            created("b", "2026-03-08T07:30Z"),
            created("c", "2026-03-09T03:30Z"),
            created("d", "2026-03-09T04:00Z"),
        ],
    )
    answer = ask(db, "2026-03-07T05:00Z", "2026-03-10T04:00Z", tz="America/New_York")
    assert created_counts(answer) == [1, 2, 1]
    assert answer.totals.conversations_created == 4


def test_kolkata_hours_start_at_half_past_and_earlier_events_open_the_backlog(
    db: ClickHouse,
) -> None:
    """+05:30: hours start at :30 UTC; an event before the first bucket counts in backlog only."""
    store(
        db,
        [
            created("a", "2026-01-01T00:29Z"),
            created("b", "2026-01-01T00:30Z"),
            created("c", "2026-01-01T01:29:59.999Z"),
            created("d", "2026-01-01T01:30Z"),
        ],
    )
    answer = ask(db, "2026-01-01T00:00Z", "2026-01-01T03:00Z", "hour", tz="Asia/Kolkata")
    assert created_counts(answer) == [2, 1, 0]
    assert [b.backlog for b in answer.buckets] == [3, 4, 4]
    assert answer.totals.conversations_created == 3
    assert answer.totals.backlog == 4
