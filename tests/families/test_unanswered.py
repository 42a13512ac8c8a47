"""unanswered on a real chdb: the open conversations without an agent reply at as_of."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.families.helpdesk.model import DEFAULT_SLA_MS
from pulse.families.helpdesk.unanswered import unanswered
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import created, event, ms, reply, store

pytestmark = pytest.mark.clickhouse

AS_OF = "2026-03-02T12:00Z"


def conversations() -> list[dict[str, Any]]:
    return [
        created("u1", "2026-03-02T08:00Z"),  # normal, deadline 12:00 = as_of: breached
        created("u2", "2026-03-02T09:00Z", priority="high"),
        reply("u2", "2026-03-02T09:30Z"),  # answered
        created("u3", "2026-03-02T10:00Z"),  # deadline 14:00: at risk within 2 h
        created("u4", "2026-03-02T11:00Z", priority="low", channel="email"),
        created("u5", "2026-03-02T07:00Z"),
        event("conversation.resolved", "u5", "2026-03-02T07:30Z"),  # closed
        created("u6", "2026-03-02T06:00Z"),
        event("conversation.resolved", "u6", "2026-03-02T07:00Z"),
        event("conversation.reopened", "u6", "2026-03-02T08:00Z"),  # open again
        created("u7", "2026-03-02T11:30Z"),
        reply("u7", "2026-03-02T12:30Z"),  # the reply comes after as_of
        created("u8", "2026-03-02T13:00Z"),  # created after as_of
        created("u9", "2026-03-02T05:00Z", agent_id="ann"),
        reply("u9", "2026-03-02T04:00Z"),  # before creation: no reply
        reply("u9", "2026-03-02T05:10Z", sender="bot"),
        created("u1", "2026-03-02T01:00Z", tenant="globex"),
    ]


def listed(db: ClickHouse, limit: int = 50, **filters: Any) -> list[tuple[str, bool, bool]]:
    found = unanswered(db, "acme", ms(AS_OF), DEFAULT_SLA_MS, 2 * 3_600_000, limit, **filters)
    return [(c.conversation_id, c.breached, c.at_risk) for c in found]


def test_open_unanswered_conversations_oldest_first_breached_or_at_risk(db: ClickHouse) -> None:
    """Pending and breached ones, a reopened one, bot and early messages not counting as replies."""
    store(db, conversations())
    assert listed(db) == [
        ("u9", True, False),
        ("u6", True, False),
        ("u1", True, False),
        ("u3", False, True),
        ("u4", False, False),
        ("u7", False, False),
    ]


def test_each_entry_carries_age_deadline_channel_and_priority(db: ClickHouse) -> None:
    """u4: low priority on email, 1 h old, deadline 24 h after creation."""
    store(db, conversations())
    (u4,) = unanswered(db, "acme", ms(AS_OF), DEFAULT_SLA_MS, 0, 10, priority="low")
    assert (u4.conversation_id, u4.channel, u4.priority) == ("u4", "email", "low")
    assert u4.created_at_ms == ms("2026-03-02T11:00Z")
    assert u4.age_ms == 3_600_000
    assert u4.deadline_ms == ms("2026-03-03T11:00Z")


def test_limit_and_filters_narrow_the_list(db: ClickHouse) -> None:
    """The limit keeps the oldest; channel and agent filters keep their conversations."""
    store(db, conversations())
    assert [c for c, _, _ in listed(db, limit=2)] == ["u9", "u6"]
    assert [c for c, _, _ in listed(db, channel="email")] == ["u4"]
    assert [c for c, _, _ in listed(db, agent="ann")] == ["u9"]
    assert listed(db, org_unit="nobody") == []
