"""The helpdesk Derivation on a real chdb: moments recomputed per conversation, never added to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pulse.families.grid import grid
from pulse.families.helpdesk import derived
from pulse.families.helpdesk.answers import helpdesk_answer
from pulse.families.helpdesk.derived import HelpdeskMoments
from pulse.families.helpdesk.model import DEFAULT_SLA_MS, HelpdeskFigures, HelpdeskQuery
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import COLUMNS, created, event, ms, reply, store
from tests.families.figures import fig, frt

pytestmark = pytest.mark.clickhouse

DAY = ("2026-03-02T00:00Z", "2026-03-03T00:00Z")
MOMENTS = HelpdeskMoments()


def totals(
    db: ClickHouse, sla: Mapping[str, int] = DEFAULT_SLA_MS, **filters: Any
) -> HelpdeskFigures:
    buckets = grid(ms(DAY[0]), ms(DAY[1]), "day", "UTC", 10)
    query = HelpdeskQuery("acme", buckets, "UTC", "day", ms(DAY[1]), sla, **filters)
    return helpdesk_answer(db, query).totals


def live_rows(db: ClickHouse) -> list[dict[str, Any]]:
    return db.query(
        "SELECT kind, t, event_id, value, known_creation, reply_ms FROM helpdesk_moments FINAL"
        " ORDER BY kind, t, event_id"
    )


def test_touched_are_the_conversations_of_helpdesk_events_and_agent_messages() -> None:
    """Conversation events, CSAT and agent messages touch their conversation; the rest not."""
    rows = [
        created("a", "2026-03-02T10:00Z"),
        reply("b", "2026-03-02T10:00Z"),
        reply("c", "2026-03-02T10:00Z", sender="bot"),
        event("message.received", "d", "2026-03-02T10:00Z", sender_type="contact"),
        event("csat.submitted", "e", "2026-03-02T10:00Z", tenant="globex", score=5),
        event("conversation.assigned", "", "2026-03-02T10:00Z"),
    ]
    raw = {column: [row[column] for row in rows] for column in COLUMNS}
    assert MOMENTS.touched(raw) == {("acme", "a"), ("acme", "b"), ("globex", "e")}


def test_refreshing_twice_changes_nothing(db: ClickHouse) -> None:
    """A second refresh of the same conversations writes the same live rows and figures."""
    store(
        db,
        [
            created("r1", "2026-03-02T09:00Z", priority="high"),
            reply("r1", "2026-03-02T09:30Z", agent_id="ann"),
            reply("r1", "2026-03-02T09:40Z", agent_id="ann"),
            event("conversation.resolved", "r1", "2026-03-02T10:00Z"),
        ],
    )
    rows, figures = live_rows(db), totals(db)
    MOMENTS.refresh(db, {("acme", "r1")})
    assert live_rows(db) == rows
    assert totals(db) == figures
    assert MOMENTS.differences(db, {("acme", "r1")}) == []


def test_first_reply_moving_twice_leaves_one_first_response(db: ClickHouse) -> None:
    """A late earlier reply, then a late earlier creation: each time one FRT, at the new reply."""
    store(db, [created("m", "2026-03-02T10:00Z"), reply("m", "2026-03-02T12:00Z")])
    assert totals(db) == frt(7200.0, sla_met=1, sla_breach_rate=0.0)
    store(db, [reply("m", "2026-03-02T11:00Z"), reply("m", "2026-03-02T09:30Z")])
    assert totals(db) == frt(3600.0, sla_met=1, sla_breach_rate=0.0)
    store(db, [created("m", "2026-03-02T09:00Z")])
    # Two creations are counted; the earliest rules, and the 09:30 reply becomes the first.
    assert totals(db) == fig(
        **{
            **frt(1800.0, sla_met=1, sla_breach_rate=0.0).__dict__,
            "conversations_created": 2,
            "backlog": 2,
        }
    )
    creations = [(r["known_creation"], r["reply_ms"]) for r in live_rows(db) if r["kind"] == 1]
    assert creations == [(1, ms("2026-03-02T09:30Z")), (0, None)]
    assert MOMENTS.differences(db, {("acme", "m")}) == []


def test_reassignment_refiles_every_moment_under_the_new_agent(db: ClickHouse) -> None:
    """Assigned to ann, then to bob in a later batch: the agent filter follows the latest."""
    store(
        db,
        [
            created("g", "2026-03-02T09:00Z"),
            event("conversation.assigned", "g", "2026-03-02T09:05Z", agent_id="ann"),
            reply("g", "2026-03-02T09:30Z", agent_id="ann"),
        ],
    )
    answered = frt(1800.0, sla_met=1, sla_breach_rate=0.0)
    assert totals(db, agent="ann") == answered
    store(db, [event("conversation.assigned", "g", "2026-03-02T11:00Z", agent_id="bob")])
    assert totals(db, agent="ann") == fig()
    assert totals(db, agent="bob") == answered


def test_new_targets_reevaluate_history_without_a_refresh(db: ClickHouse) -> None:
    """The same stored moments are met under a 4 h target and breached under a 15 min one."""
    store(db, [created("s", "2026-03-02T09:00Z"), reply("s", "2026-03-02T09:30Z")])
    assert totals(db) == frt(1800.0, sla_met=1, sla_breach_rate=0.0)
    tight = {**DEFAULT_SLA_MS, "normal": 15 * 60_000}
    assert totals(db, tight) == frt(1800.0, sla_breached=1, sla_breach_rate=100.0)


def test_differences_name_moments_that_raw_events_have_outdated(db: ClickHouse) -> None:
    """Raw events stored without a refresh show as differences until the next refresh."""
    store(db, [created("d", "2026-03-02T09:00Z")])
    assert MOMENTS.differences(db, {("acme", "d")}) == []
    db.insert("events_raw", [reply("d", "2026-03-02T09:10Z", agent_id="ann")], COLUMNS)
    found = MOMENTS.differences(db, {("acme", "d")})
    assert {(d.column, d.stored, d.recomputed) for d in found} == {
        ("reply_ms", None, ms("2026-03-02T09:10Z")),
        ("agent", "", "ann"),
    }
    MOMENTS.refresh(db, {("acme", "d")})
    assert MOMENTS.differences(db, {("acme", "d")}) == []


def test_keys_in_are_the_conversations_of_a_tenant_and_range_in_the_order_they_began(
    db: ClickHouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Conversations with helpdesk events in the range, of the tenant asked for, oldest first,
    in chunks."""
    store(
        db,
        [
            created("k1", "2026-03-02T09:00Z"),
            created("k2", "2026-03-03T09:00Z"),
            created("k0", "2026-03-04T09:00Z"),
            created("k3", "2026-03-02T09:00Z", tenant="globex"),
        ],
    )
    assert list(MOMENTS.keys_in(db, "acme", ms(DAY[0]), ms(DAY[1]))) == [[("acme", "k1")]]
    monkeypatch.setattr(derived, "CHUNK", 2)
    assert list(MOMENTS.keys_in(db, None, None, None)) == [
        [("acme", "k1"), ("acme", "k2")],
        [("acme", "k0"), ("globex", "k3")],
    ]
