"""The helpdesk oracle on tiny hand-computed cases: its own correctness, visible (no services)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.oracle import bucket_grid
from tests.e2e.oracle_helpdesk import (
    Event,
    Figures,
    Filters,
    HelpdeskAnswer,
    accepted,
    helpdesk_metrics,
    unanswered,
)

SLA = {"urgent": 10 * 60_000, "high": 30 * 60_000, "normal": 2 * 3600_000, "low": 8 * 3600_000}
_ids = itertools.count()
ZONE_LISBON = ZoneInfo("Europe/Lisbon")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def ev(event_type: str, when: str, conv: str = "c1", **fields: object) -> dict[str, object]:
    """One event of tenant t1 with a fresh event id."""
    return {
        "event_id": f"e{next(_ids)}",
        "tenant_id": fields.pop("tenant_id", "t1"),
        "event_type": event_type,
        "occurred_at": when,
        "conversation_id": conv,
        "channel": fields.pop("channel", "whatsapp"),
        **fields,
    }


def created(when: str, conv: str = "c1", **fields: object) -> dict[str, object]:
    return ev("conversation.created", when, conv, **fields)


def agent(
    when: str, conv: str = "c1", sender: str = "agent", **fields: object
) -> dict[str, object]:
    return ev("message.sent", when, conv, sender_type=sender, direction="outbound", **fields)


def metrics(
    raw: list[dict[str, object]],
    start: str,
    end: str,
    granularity: str = "hour",
    zone: str = "UTC",
    as_of: str = "2026-12-01T00:00:00Z",
    **filters: str,
) -> HelpdeskAnswer:
    events: list[Event] = accepted(raw)
    return helpdesk_metrics(
        events,
        "t1",
        zone=zone,
        sla_ms=SLA,
        granularity=granularity,
        start=at(start),
        end=at(end),
        as_of=at(as_of),
        filters=Filters(**filters),
    )


def by_start(answer: HelpdeskAnswer) -> dict[str, Figures]:
    return {s.strftime("%Y-%m-%dT%H:%M"): f for s, _, f in answer.buckets}


def test_fall_back_day_has_25_hour_buckets_with_two_local_one_oclocks() -> None:
    """Lisbon's 2026-10-25: 25 hourly buckets, local 01:00 twice (00:00Z and 01:00Z)."""
    grid = bucket_grid("Europe/Lisbon", "hour", at("2026-10-24T23:00Z"), at("2026-10-26T00:00Z"))
    assert len(grid) == 25
    local_ones = [s for s, _ in grid if s.astimezone(ZONE_LISBON).hour == 1]
    assert local_ones == [at("2026-10-25T00:00Z"), at("2026-10-25T01:00Z")]
    day = bucket_grid("Europe/Lisbon", "day", at("2026-10-24T23:00Z"), at("2026-10-25T01:00Z"))
    assert day == [(at("2026-10-24T23:00Z"), at("2026-10-26T00:00Z"))]


def test_spring_forward_day_has_23_hours_and_no_local_one_oclock() -> None:
    """Lisbon's 2026-03-29 skips 01:00 local: 23 hourly buckets, the day lasts 23 hours."""
    grid = bucket_grid("Europe/Lisbon", "hour", at("2026-03-29T00:00Z"), at("2026-03-29T23:00Z"))
    assert len(grid) == 23
    assert all(s.astimezone(ZONE_LISBON).hour != 1 for s, _ in grid)
    (day,) = bucket_grid("Europe/Lisbon", "day", at("2026-03-29T00:00Z"), at("2026-03-29T01:00Z"))
    assert day[1] - day[0] == timedelta(hours=23)


def test_kolkata_hours_start_at_half_past_and_selection_is_by_start() -> None:
    """+05:30 hours start at :30 UTC; the bucket holding ``from`` is out, the last may overrun."""
    grid = bucket_grid("Asia/Kolkata", "hour", at("2026-10-27T10:00Z"), at("2026-10-27T12:00Z"))
    assert grid == [
        (at("2026-10-27T10:30Z"), at("2026-10-27T11:30Z")),
        (at("2026-10-27T11:30Z"), at("2026-10-27T12:30Z")),
    ]
    months = bucket_grid("Europe/Lisbon", "month", at("2026-09-01T00:00Z"), at("2026-12-01T00:00Z"))
    assert [s for s, _ in months] == [at("2026-09-30T23:00Z"), at("2026-11-01T00:00Z")]
    weeks = bucket_grid(
        "America/New_York", "week", at("2026-10-26T00:00Z"), at("2026-11-02T05:00Z")
    )
    assert weeks == [(at("2026-10-26T04:00Z"), at("2026-11-02T05:00Z"))]


def test_frt_ignores_bots_system_and_agent_messages_before_creation() -> None:
    """Only the first agent message at or after creation answers; it files in its own bucket."""
    raw = [
        agent("2026-10-26T09:59:00Z"),
        created("2026-10-26T10:00:00Z"),
        agent("2026-10-26T10:00:05Z", sender="bot"),
        agent("2026-10-26T10:00:06Z", sender="system"),
        agent("2026-10-26T11:20:00.250Z"),
        agent("2026-10-26T11:25:00Z"),
    ]
    buckets = by_start(metrics(raw, "2026-10-26T10:00Z", "2026-10-26T12:00Z"))
    assert buckets["2026-10-26T10:00"].first_responses == 0
    eleven = buckets["2026-10-26T11:00"]
    assert (eleven.first_responses, eleven.frt_avg_seconds, eleven.frt_p90_seconds) == (
        1,
        4800.25,
        4800.25,
    )


def test_reply_at_the_deadline_meets_and_one_ms_later_breaches_at_the_deadline() -> None:
    """high = 30 min: a reply at 10:30:00.000 meets; a deadline of 10:59:59.999 answered at
    11:00:00.000 breaches in the 10:00 bucket, its FRT counts in the 11:00 bucket."""
    raw = [
        created("2026-10-26T10:00:00Z", "met", priority="high"),
        agent("2026-10-26T10:30:00.000Z", "met"),
        created("2026-10-26T10:29:59.999Z", "late", priority="high"),
        agent("2026-10-26T11:00:00.000Z", "late"),
    ]
    answer = metrics(raw, "2026-10-26T10:00Z", "2026-10-26T12:00Z")
    ten, eleven = by_start(answer)["2026-10-26T10:00"], by_start(answer)["2026-10-26T11:00"]
    assert (ten.sla_met, ten.sla_breached, ten.sla_breach_rate) == (1, 1, 50.0)
    assert (eleven.sla_met, eleven.sla_breached, eleven.sla_breach_rate) == (0, 0, None)
    assert (eleven.first_responses, eleven.frt_avg_seconds) == (1, 1800.001)
    assert (answer.totals.sla_met, answer.totals.sla_breached) == (1, 1)


def test_breach_waits_for_as_of_and_a_resolution_before_the_deadline_is_neither() -> None:
    """No reply: pending until asOf reaches the deadline, then breached once at the deadline;
    resolved before its deadline without a reply: neither."""
    raw = [
        created("2026-10-26T10:00:00Z", "open", priority="urgent"),
        created("2026-10-26T10:00:00Z", "closed", priority="urgent"),
        ev("conversation.resolved", "2026-10-26T10:09:59.999Z", "closed"),
    ]
    window = ("2026-10-26T10:00Z", "2026-10-26T11:00Z")
    before = metrics(raw, *window, as_of="2026-10-26T10:09:59.999Z").totals
    assert (before.sla_met, before.sla_breached, before.sla_breach_rate) == (0, 0, None)
    after = metrics(raw, *window, as_of="2026-10-26T10:10:00Z").totals
    assert (after.sla_met, after.sla_breached, after.sla_breach_rate) == (0, 1, 100.0)


def test_reopened_conversation_has_one_frt_and_a_resolution_time_per_resolution() -> None:
    """Resolved, reopened, answered again, resolved: two resolutions timed from creation, one
    FRT, and the backlog follows created + reopened - resolved."""
    raw = [
        created("2026-10-26T10:00:00Z"),
        agent("2026-10-26T10:05:00Z"),
        ev("conversation.resolved", "2026-10-26T11:00:00Z"),
        ev("conversation.reopened", "2026-10-26T12:00:00Z"),
        agent("2026-10-26T12:10:00Z"),
        ev("conversation.resolved", "2026-10-26T13:30:00Z"),
    ]
    answer = metrics(raw, "2026-10-26T10:00Z", "2026-10-26T14:00Z")
    assert [f.backlog for _, _, f in answer.buckets] == [1, 0, 1, 0]
    t = answer.totals
    assert (t.conversations_created, t.conversations_resolved, t.conversations_reopened) == (
        1,
        2,
        1,
    )
    assert (t.first_responses, t.frt_avg_seconds) == (1, 300.0)
    assert (t.resolutions, t.resolution_avg_seconds) == (2, 8100.0)
    assert (t.resolution_p50_seconds, t.resolution_p90_seconds) == (3600.0, 12600.0)


def test_late_creation_refiles_the_conversation() -> None:
    """Without its creation a resolution counts under its own channel and normal, with no time;
    once the creation arrives it is timed and filed under the creation's priority."""
    others = [ev("conversation.resolved", "2026-10-26T11:00:00Z", channel="email")]
    before = metrics(others, "2026-10-26T10:00Z", "2026-10-26T12:00Z", priority="normal").totals
    assert (before.conversations_resolved, before.resolutions, before.backlog) == (1, 0, -1)
    assert (
        metrics(
            others, "2026-10-26T10:00Z", "2026-10-26T12:00Z", channel="email"
        ).totals.conversations_resolved
        == 1
    )
    raw = [*others, created("2026-10-26T10:00:00Z", priority="high", channel="email")]
    high = metrics(raw, "2026-10-26T10:00Z", "2026-10-26T12:00Z", priority="high").totals
    assert (high.conversations_resolved, high.resolution_avg_seconds, high.backlog) == (
        1,
        3600.0,
        0,
    )
    normal = metrics(raw, "2026-10-26T10:00Z", "2026-10-26T12:00Z", priority="normal").totals
    assert normal.conversations_resolved == 0


def test_duplicates_count_once_per_tenant() -> None:
    """The same event id twice counts once; the same id in another tenant is another event."""
    first = created("2026-10-26T10:00:00Z")
    other_tenant = {**first, "tenant_id": "t2"}
    answer = metrics([first, dict(first), other_tenant], "2026-10-26T10:00Z", "2026-10-26T11:00Z")
    assert answer.totals.conversations_created == 1


def test_nearest_rank_percentiles_means_and_csat() -> None:
    """FRTs of 1..10 s: mean 5.5, p50 the 5th value, p90 the 9th; CSAT 5, 4, 2: mean 3.667,
    66.67 % satisfied."""
    raw: list[dict[str, object]] = []
    for i in range(1, 11):
        raw += [
            created("2026-10-26T10:00:00Z", f"c{i}"),
            agent(f"2026-10-26T10:00:{i:02d}Z", f"c{i}"),
        ]
    for conv, score in (("c1", 5), ("c2", 4), ("c3", 2)):
        raw.append(ev("csat.submitted", "2026-10-26T10:30:00Z", conv, score=score))
    t = metrics(raw, "2026-10-26T10:00Z", "2026-10-26T11:00Z").totals
    assert (t.frt_avg_seconds, t.frt_p50_seconds, t.frt_p90_seconds) == (5.5, 5.0, 9.0)
    assert (t.csat_responses, t.csat_avg, t.csat_percent) == (3, 3.667, 66.67)


def test_filters_follow_the_latest_assignment() -> None:
    """A conversation belongs to the agent and org unit of its latest assignment."""
    raw = [
        created("2026-10-26T10:00:00Z", agent_id="a1", org_unit="sales"),
        ev("conversation.assigned", "2026-10-26T10:01:00Z", agent_id="a2", org_unit="support"),
        ev("conversation.assigned", "2026-10-26T10:02:00Z", agent_id="a3", org_unit="billing"),
        agent("2026-10-26T10:03:00Z", agent_id="a2"),
    ]
    window = ("2026-10-26T10:00Z", "2026-10-26T11:00Z")
    assert metrics(raw, *window, agent="a3").totals.first_responses == 1
    assert metrics(raw, *window, agent="a2").totals.conversations_created == 0
    assert metrics(raw, *window, org_unit="billing").totals.conversations_created == 1
    assert metrics(raw, *window, org_unit="sales").totals.conversations_created == 0


def test_empty_buckets_are_zero_and_carry_the_backlog_from_before_the_range() -> None:
    """A conversation created before the range is in every bucket's backlog; figures are 0/None."""
    raw = [created("2026-10-20T10:00:00Z")]
    answer = metrics(raw, "2026-10-26T00:00Z", "2026-10-28T00:00Z", granularity="day")
    assert [f.backlog for _, _, f in answer.buckets] == [1, 1]
    empty = answer.buckets[0][2]
    assert (empty.conversations_created, empty.frt_avg_seconds, empty.csat_percent) == (
        0,
        None,
        None,
    )
    assert answer.totals.backlog == 1


def test_a_zone_rebuckets_the_same_history() -> None:
    """18:29:59.999Z is 27 October in Kolkata, 18:30Z is 28 October; in UTC both are the 27th."""
    raw = [created("2026-10-27T18:29:59.999Z", "a"), created("2026-10-27T18:30:00Z", "b")]
    kolkata = metrics(raw, "2026-10-26T00:00Z", "2026-10-29T00:00Z", "day", "Asia/Kolkata")
    assert [f.conversations_created for _, _, f in kolkata.buckets] == [1, 1, 0]
    assert kolkata.buckets[0][0] == at("2026-10-26T18:30Z")
    utc = metrics(raw, "2026-10-26T00:00Z", "2026-10-29T00:00Z", "day", "UTC")
    assert [f.conversations_created for _, _, f in utc.buckets] == [0, 2, 0]


def test_unanswered_lists_open_unreplied_conversations_oldest_first() -> None:
    """Breached, at risk and pending conversations in creation order; answered, resolved and
    agent-before-creation cases handled; the limit cuts the tail."""
    raw = [
        created("2026-10-26T08:00:00Z", "breached"),
        created("2026-10-26T09:56:00Z", "risky", priority="urgent"),
        created("2026-10-26T09:00:00Z", "pending", priority="low", channel="email"),
        agent("2026-10-26T08:59:00Z", "pending"),
        created("2026-10-26T09:10:00Z", "answered"),
        agent("2026-10-26T09:11:00Z", "answered"),
        created("2026-10-26T09:20:00Z", "resolved"),
        ev("conversation.resolved", "2026-10-26T09:21:00Z", "resolved"),
        created("2026-10-26T09:30:00Z", "reopened"),
        ev("conversation.resolved", "2026-10-26T09:31:00Z", "reopened"),
        ev("conversation.reopened", "2026-10-26T09:32:00Z", "reopened"),
    ]
    listed = unanswered(
        accepted(raw),
        "t1",
        sla_ms=SLA,
        as_of=at("2026-10-26T10:00:00Z"),
        at_risk_ms=600_000,
        limit=10,
    )
    assert [(u.conversation_id, u.breached, u.at_risk) for u in listed] == [
        ("breached", True, False),
        ("pending", False, False),
        ("reopened", False, False),
        ("risky", False, True),
    ]
    assert listed[0].deadline == at("2026-10-26T10:00:00Z")
    assert (listed[1].age_ms, listed[1].channel, listed[1].priority) == (3600_000, "email", "low")
    only_email = unanswered(
        accepted(raw),
        "t1",
        sla_ms=SLA,
        as_of=at("2026-10-26T10:00:00Z"),
        at_risk_ms=600_000,
        limit=1,
        filters=Filters(priority="normal"),
    )
    assert [u.conversation_id for u in only_email] == ["breached"]
