"""Drill-down row sources on a real chdb: the rows behind a figure, page by page."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from pulse.families.drilldown.conversations import ConversationRows
from pulse.families.drilldown.events import EventRows
from pulse.families.drilldown.rows import BadCursorError, RowSource
from pulse.families.drilldown.sessions import SessionRows
from pulse.families.helpdesk.model import DEFAULT_SLA_MS
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import created, event, insert_raw, ms, reply, store
from tests.families.web_events import action, store_web, view

pytestmark = pytest.mark.clickhouse

DAY, NEXT = ms("2026-03-02T00:00Z"), ms("2026-03-03T00:00Z")


def every(source: RowSource, limit: int) -> list[dict[str, Any]]:
    found, after = [], None
    while True:
        page = source.page(after, limit)
        found += page.rows
        if not page.more:
            return found
        after = page.cursor


def helpdesk() -> list[dict[str, Any]]:
    return [
        created("c1", "2026-03-02T08:00Z", org_unit="north", agent_id="ann", event_id="a1"),
        reply("c1", "2026-03-02T08:10Z", agent_id="ann", event_id="a2"),
        event("conversation.resolved", "c1", "2026-03-02T09:00Z", event_id="a3"),
        event("csat.submitted", "c1", "2026-03-02T09:05Z", score=4, event_id="a4"),
        created("c2", "2026-03-02T08:00Z", org_unit="south", priority="urgent", event_id="a5"),
        created("c3", "2026-03-02T10:00Z", org_unit="north", channel="email", event_id="a6"),
        event("conversation.resolved", "c3", "2026-03-02T10:30Z", event_id="a7"),
        created("c4", "2026-03-01T10:00Z", org_unit="north", event_id="a8"),  # before the range
        created("c1", "2026-03-02T08:00Z", tenant="globex", org_unit="north", event_id="g1"),
    ]


def test_events_come_in_key_order_with_every_filter(db: ClickHouse) -> None:
    """Events of the tenant in range, ordered by (type, time, id); filters and scope narrow."""
    store(db, helpdesk())
    rows = every(EventRows(db, "acme", DAY, NEXT), 2)
    assert [r["event_id"] for r in rows] == ["a1", "a5", "a6", "a3", "a7", "a4", "a2"]
    north = EventRows(db, "acme", DAY, NEXT, org_units=["north", "west"])
    assert [r["event_id"] for r in every(north, 1)] == ["a1", "a6"]
    created_only = EventRows(db, "acme", DAY, NEXT, event_types=["conversation.created"])
    assert [r["event_id"] for r in every(created_only, 5)] == ["a1", "a5", "a6"]
    assert every(EventRows(db, "acme", DAY, NEXT, channel="email"), 5)[0]["event_id"] == "a6"
    assert [r["event_id"] for r in every(EventRows(db, "globex", DAY, NEXT), 5)] == ["g1"]


def test_pages_visit_every_row_once_while_rows_arrive(db: ClickHouse) -> None:
    """Rows stored between pages never make a page repeat or skip a row that was there."""
    first = [
        event("message.sent", "", DAY + i * 60_000, event_id=f"m{i:03d}", sender_type="contact")
        for i in range(0, 40, 2)
    ]
    insert_raw(db, first)
    source = EventRows(db, "acme", DAY, NEXT)
    seen, after, more = [], None, True
    arriving = iter(range(1, 40, 2))
    while more:
        page = source.page(after, 3)
        seen += [r["event_id"] for r in page.rows]
        after, more = page.cursor, page.more
        late = next(arriving, None)
        if late is not None:
            instant = DAY + late * 60_000
            insert_raw(db, [event("message.sent", "", instant, event_id=f"m{late:03d}")])
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    assert {r["event_id"] for r in first} <= set(seen)


def test_conversations_carry_their_facts(db: ClickHouse) -> None:
    """Each conversation created in range with its reply, FRT, SLA state, resolutions, CSAT."""
    store(db, helpdesk())
    source = ConversationRows(db, "acme", DAY, NEXT, ms("2026-03-02T12:00Z"), DEFAULT_SLA_MS)
    rows = {r["conversation_id"]: r for r in every(source, 1)}
    assert list(rows) == ["c1", "c2", "c3"]
    c1, c2, c3 = rows["c1"], rows["c2"], rows["c3"]
    assert (c1["agent"], c1["org_unit"], c1["channel"]) == ("ann", "north", "whatsapp")
    assert (c1["first_reply_at_ms"], c1["frt_ms"]) == (ms("2026-03-02T08:10Z"), 600_000)
    assert (c1["sla_state"], c1["resolution_count"], c1["resolution_ms"]) == ("met", 1, 3_600_000)
    assert (c1["csat_responses"], c1["csat_score"]) == (1, 4)
    # urgent: 15 minutes to answer, passed without a reply
    assert (c2["priority"], c2["sla_state"], c2["frt_ms"], c2["csat_score"]) == (
        "urgent",
        "breached",
        None,
        None,
    )
    assert (c3["channel"], c3["sla_state"], c3["resolution_count"]) == ("email", "pending", 1)
    scoped = ConversationRows(
        db, "acme", DAY, NEXT, ms("2026-03-02T12:00Z"), DEFAULT_SLA_MS, org_unit="north"
    )
    assert [r["conversation_id"] for r in every(scoped, 5)] == ["c1", "c3"]


def test_sessions_carry_visitor_span_views_and_bounce(db: ClickHouse) -> None:
    """One row per session started in range: start, end, page views, bounce, entry page."""
    store_web(
        db,
        [
            view("v1", "2026-03-02T09:00Z", url="/a", event_id="w1"),
            view("v1", "2026-03-02T09:05Z", url="/b", event_id="w2"),
            view("v2", "2026-03-02T10:00Z", url="/c", referrer="x.com", event_id="w3"),
            view("v1", "2026-03-02T11:00Z", url="/d", event_id="w4"),  # a new session
            action("v1", "2026-03-02T11:01Z", "signup", event_id="w5"),
            view("v9", "2026-03-02T10:00Z", tenant="globex", event_id="w6"),
        ],
    )
    source = SessionRows(db, "acme", DAY, NEXT, engaged=("signup",))
    rows = [
        (r["visitor_id"], r["started_at_ms"], r["ended_at_ms"], r["page_views"], r["bounce"])
        for r in every(source, 2)
    ]
    assert rows == [
        ("v1", ms("2026-03-02T09:00Z"), ms("2026-03-02T09:05Z"), 2, False),
        ("v2", ms("2026-03-02T10:00Z"), ms("2026-03-02T10:00Z"), 1, True),
        ("v1", ms("2026-03-02T11:00Z"), ms("2026-03-02T11:01Z"), 1, False),
    ]
    referred = SessionRows(db, "acme", DAY, NEXT, filters={"referrer": "x.com"})
    assert [r["entry_page"] for r in every(referred, 5)] == ["/c"]


def test_a_foreign_cursor_is_refused(db: ClickHouse) -> None:
    """A cursor of another kind of rows, or garbage, is a BadCursorError."""
    store(db, helpdesk())
    page = EventRows(db, "acme", DAY, NEXT).page(None, 1)
    source = ConversationRows(db, "acme", DAY, NEXT, DAY, DEFAULT_SLA_MS)
    with pytest.raises(BadCursorError):
        source.page(page.cursor, 1)
    with pytest.raises(BadCursorError):
        source.page("not a cursor!", 1)


def test_a_cursor_of_the_earlier_conversation_key_is_refused(db: ClickHouse) -> None:
    """A cursor of the earlier (created_ms, conversation_id) key is a BadCursorError."""
    store(db, helpdesk())
    text = json.dumps(["conversations", ms("2026-03-02T08:00Z"), "c1"], separators=(",", ":"))
    earlier = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    source = ConversationRows(db, "acme", DAY, NEXT, DAY, DEFAULT_SLA_MS)
    with pytest.raises(BadCursorError):
        source.page(earlier, 1)
    assert source.page(source.page(None, 1).cursor, 1).rows


def test_conversations_weeks_apart_come_in_order_whatever_the_page_size(db: ClickHouse) -> None:
    """Conversations spread over 50 weeks (one at a Monday's first instant, one a millisecond
    before another Monday) are paged in creation order, each once, for any page size."""
    monday = ms("2026-01-05T00:00Z")
    week = 7 * 86_400_000
    at = {
        "w0": monday + 3_600_000,
        "w3-monday": monday + 3 * week,
        "w9-sunday": monday + 9 * week - 1,
        "w9-monday": monday + 9 * week,
        "w49": monday + 49 * week + 5,
    }
    store(db, [created(c, t, event_id=f"e-{c}") for c, t in at.items()])
    order = sorted(at, key=lambda c: at[c])
    for size in (1, 2, 3, 100):
        source = ConversationRows(
            db, "acme", monday - 1, monday + 50 * week, monday + 50 * week, DEFAULT_SLA_MS
        )
        assert [r["conversation_id"] for r in every(source, size)] == order, size
    later = ConversationRows(
        db, "acme", monday + 9 * week, monday + 50 * week, monday, DEFAULT_SLA_MS
    )
    assert [r["conversation_id"] for r in every(later, 1)] == ["w9-monday", "w49"]
