"""A tenant's recent moments kept in the API (``hot_rows``) and the buckets figured from them
(``hot_partials``): after every batch of random conversation events, answers figured from the
window equal answers read from scratch, across zones, filters, targets, a day rolling over, an
erasure and replies moving out of the window; a live question reads no figures statement."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pytest

from pulse.families.grid import grid
from pulse.families.helpdesk import changes
from pulse.families.helpdesk.answers import AnswerCache, helpdesk_answer
from pulse.families.helpdesk.hot_rows import HotWindows
from pulse.families.helpdesk.model import DEFAULT_SLA_MS, Granularity, HelpdeskQuery
from pulse.families.helpdesk.reads import helpdesk_reads
from pulse.settings import ApiSettings
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import created, event, ms, reply, store

pytestmark = pytest.mark.clickhouse

HOUR, DAY = 3_600_000, 86_400_000
END = ms("2026-03-10T00:00Z")
CUSTOM_SLA = {"urgent": 10 * 60_000, "high": 30 * 60_000, "normal": 2 * HOUR, "low": 8 * HOUR}


class Spy:
    """A reader recording the Arrow statements it passes on."""

    def __init__(self, db: ClickHouse) -> None:
        self.db = db
        self.statements: list[str] = []

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.db.query(sql, params)

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        self.statements.append(sql)
        return self.db.query_arrow(sql, params)

    def figures_read(self) -> bool:
        """Whether a figures statement (``figures_sql``) was read."""
        return any("GROUP BY" in sql for sql in self.statements)


def question(
    zone: str = "UTC",
    granularity: Granularity = "day",
    days: int = 6,
    sla: Mapping[str, int] = DEFAULT_SLA_MS,
    **filters: Any,
) -> HelpdeskQuery:
    buckets = grid(END - days * DAY, END, granularity, zone, 1000)
    return HelpdeskQuery("acme", buckets, zone, granularity, END, sla, **filters)


QUESTIONS = [
    question(),
    question(agent="ann"),
    question(channel="email", sla=CUSTOM_SLA),
    question("America/New_York"),
    question("Asia/Kolkata", "hour", days=2, priority="urgent"),
    question(org_units=("north", "south"), sla=CUSTOM_SLA),
]


def batch(
    chance: random.Random, start_ms: int, span_ms: int, size: int, named: str = "c"
) -> list[dict[str, Any]]:
    """``size`` random events of 14 conversations ``named`` between ``start_ms`` and
    ``start_ms + span_ms``, half of them on quarter hours, and a CSAT."""
    rows = []
    for _ in range(size):
        conversation = f"{named}{chance.randrange(14)}"
        at = start_ms + chance.randrange(span_ms)
        if chance.random() < 0.5:  # on quarter hours: shared instants, replies at deadlines
            at -= (at - start_ms) % (15 * 60_000)
        kind = chance.choice(["created", "reply", "reply", "resolved", "reopened", "assigned"])
        agent = chance.choice(["ann", "bob"])
        if kind == "created":
            rows.append(
                created(
                    conversation,
                    at,
                    agent_id=agent,
                    channel=chance.choice(["email", "whatsapp"]),
                    priority=chance.choice(["urgent", "high", "normal", "low"]),
                )
            )
        elif kind == "reply":
            rows.append(reply(conversation, at, agent_id=agent))
        elif kind == "assigned":
            team = chance.choice(["north", "south", "west"])
            rows.append(
                event("conversation.assigned", conversation, at, agent_id=agent, org_unit=team)
            )
        elif kind == "resolved":
            rows.append(event("conversation.resolved", conversation, at))
        else:
            rows.append(event("conversation.reopened", conversation, at))
    rows += [
        event(
            "csat.submitted",
            f"{named}{chance.randrange(14)}",
            start_ms + chance.randrange(span_ms),
            score=chance.randrange(1, 6),
        )
    ]
    return rows


def windows(days: int = 2, at_ms: int = END) -> tuple[HotWindows, list[int]]:
    """Windows whose clock reads ``at_ms`` until the returned list's value is changed."""
    now = [at_ms]
    return HotWindows(days, 64 << 20, 600, lambda: now[0] / 1000), now


def loaded(hot: HotWindows, db: ClickHouse) -> None:
    """Read the tenant's window now, as a live question would."""
    assert hot.rows(db, "acme", changes.versions(db, "acme"), load=True) is not None


def test_answers_from_the_window_equal_fresh_ones_through_random_batches(db: ClickHouse) -> None:
    """Batches of events over the last days and the week before (late creations, replies,
    resolutions, reassignments, CSAT): every question's answer figured from the window equals
    one read from scratch after every batch."""
    chance = random.Random(3)
    cache, (hot, _) = AnswerCache(1 << 24, 600), windows()
    spy = Spy(db)
    for round_ in range(8):
        store(db, batch(chance, END - 8 * DAY, 8 * DAY, 12))
        store(db, batch(chance, END - 2 * DAY, 2 * DAY, 10))
        if round_ == 0:
            loaded(hot, db)
        for q in QUESTIONS:
            assert helpdesk_answer(spy, q, cache, hot) == helpdesk_answer(db, q), (round_, q)
    assert sum("version >" in sql for sql in spy.statements) >= 7


def test_a_live_question_reads_only_the_rows_written_since(db: ClickHouse) -> None:
    """Asked again after a batch of the last day's conversations, the stale buckets come from
    the window: no figures statement is read, only the rows newer than the window's."""
    chance = random.Random(5)
    store(db, batch(chance, END - 6 * DAY, 6 * DAY, 40))
    cache, (hot, _) = AnswerCache(1 << 24, 600), windows()
    q = question(days=10)
    helpdesk_answer(db, q, cache, hot)  # every bucket read, nothing kept of the window
    store(db, batch(chance, END - DAY, DAY, 8, "live"))
    helpdesk_answer(db, q, cache, hot)  # only recent buckets stale: the window is read whole
    store(db, batch(chance, END - DAY, DAY, 8, "live"))
    spy = Spy(db)
    assert helpdesk_answer(spy, q, cache, hot) == helpdesk_answer(db, q)
    assert not spy.figures_read()
    assert len(spy.statements) == 1 and "version >" in spy.statements[0]


def test_a_day_rolling_over_and_an_erasure_keep_answers_exact(db: ClickHouse) -> None:
    """The window's clock moves a day on (it drops its first day), then a tenant-wide mark
    reads it again whole: answers stay those read from scratch."""
    chance = random.Random(9)
    cache, (hot, now) = AnswerCache(1 << 24, 600), windows(days=3, at_ms=END - DAY)
    for step in range(4):
        store(db, batch(chance, END - 4 * DAY, 4 * DAY, 14))
        loaded(hot, db)
        if step == 1:
            now[0] = END
        if step == 2:
            changes.mark_every_day_of(db, ["acme"])
        for q in QUESTIONS[:3]:
            assert helpdesk_answer(db, q, cache, hot) == helpdesk_answer(db, q), (step, q)


def test_earlier_creations_enter_and_leave_the_window_with_their_first_reply(
    db: ClickHouse,
) -> None:
    """A conversation created before the window and answered in it counts its first response
    there; a late earlier reply before the window takes it out again."""
    cache, (hot, _) = AnswerCache(1 << 24, 600), windows()
    q = question(days=2)
    store(db, [created("old", END - 4 * DAY, priority="low"), created("new", END - 2 * DAY + HOUR)])
    helpdesk_answer(db, q, cache, hot)
    store(db, [reply("new", END - 2 * DAY + 2 * HOUR, agent_id="ann")])
    helpdesk_answer(db, q, cache, hot)  # the window is read whole
    store(db, [reply("old", END - DAY, agent_id="ann")])
    answer = helpdesk_answer(db, q, cache, hot)
    assert answer.totals.first_responses == 2
    assert answer == helpdesk_answer(db, q)
    store(db, [reply("old", END - 3 * DAY, agent_id="bob")])
    answer = helpdesk_answer(db, q, cache, hot)
    assert answer.totals.first_responses == 1
    assert answer == helpdesk_answer(db, q)


@pytest.mark.parametrize("marks_before_the_refresh", [False, True])
def test_a_row_read_between_a_refresh_and_its_marks_survives_the_day_rolling_over(
    db: ClickHouse, marks_before_the_refresh: bool
) -> None:
    """A question reads the marks, the sink stores a batch (x created on the window's first day
    and answered on its last, y before the window: one version), then the window reads only the
    creations before it (an older mark asked for them): when the day rolls over and x's day
    leaves the window, x's first response is still counted."""
    now = [END]
    hot = HotWindows(2, 64 << 20, 2 * DAY / 1000, lambda: now[0] / 1000)  # not read again
    store(db, [created("z", END - 10 * DAY), reply("z", END - 5 * DAY, agent_id="ann")])
    store(db, [created("w", END - DAY)])
    loaded(hot, db)
    store(db, [created("e", END - 6 * DAY)])  # marks a day before the window only
    marks = changes.versions(db, "acme")
    store(
        db,
        [
            created("x", END - 2 * DAY + HOUR),
            reply("x", END - HOUR, agent_id="ann"),
            created("y", END - 3 * DAY),
        ],
    )
    if not marks_before_the_refresh:
        marks = changes.versions(db, "acme")
    hot.rows(db, "acme", marks, load=False)
    now[0] = END + DAY
    buckets = grid(END - 6 * HOUR, END, "hour", "UTC", 1000)
    q = HelpdeskQuery("acme", buckets, "UTC", "hour", END + DAY, CUSTOM_SLA)
    answer = helpdesk_answer(db, q, AnswerCache(1 << 24, 600), hot)
    assert answer.totals.first_responses == 1
    assert answer == helpdesk_answer(db, q)


def test_a_clock_going_back_over_midnight_reads_the_window_again(db: ClickHouse) -> None:
    """The wall clock steps back over midnight: the window, started a day later than it would
    now, is read again whole, so a creation of the day between answered in the window counts."""
    now = [END]
    hot = HotWindows(2, 64 << 20, 2 * DAY / 1000, lambda: now[0] / 1000)
    store(db, [created("w", END - DAY)])
    store(db, [created("o", END - 3 * DAY + HOUR, priority="low")])
    loaded(hot, db)
    now[0] = END - 1000
    store(db, [reply("o", END - HOUR, agent_id="ann")])
    buckets = grid(END - 6 * HOUR, END, "hour", "UTC", 1000)
    q = HelpdeskQuery("acme", buckets, "UTC", "hour", END, CUSTOM_SLA)
    answer = helpdesk_answer(db, q, AnswerCache(1 << 24, 600), hot)
    assert answer.totals.first_responses == 1
    assert answer == helpdesk_answer(db, q)


def test_a_window_is_read_whole_again_once_as_old_as_kept_answers_may_be(db: ClickHouse) -> None:
    """Past its age bound a window is read again whole (a change no mark tells of, rows deleted
    by hand, lasts no longer than in kept answers); before it, not."""
    store(db, batch(random.Random(2), END - DAY, DAY, 10))
    marks = changes.versions(db, "acme")
    spy, now = Spy(db), [END]
    hot = HotWindows(2, 64 << 20, 600, lambda: now[0] / 1000)
    assert hot.rows(spy, "acme", marks, load=True) is not None
    now[0] += 599_000
    assert hot.rows(spy, "acme", marks, load=False) is not None
    assert len(spy.statements) == 1
    now[0] += 2_000
    assert hot.rows(spy, "acme", marks, load=False) is None
    assert hot.rows(spy, "acme", marks, load=True) is not None
    assert len(spy.statements) == 2


def test_a_window_beyond_its_memory_is_not_kept(db: ClickHouse) -> None:
    """Windows past the memory bound are dropped (the buckets are read as before), and not
    read again before the next day."""
    store(db, batch(random.Random(1), END - DAY, DAY, 30))
    marks = changes.versions(db, "acme")
    spy, now = Spy(db), [END]
    small = HotWindows(2, 100, 600, lambda: now[0] / 1000)
    assert small.rows(spy, "acme", marks, load=True) is None
    assert small.rows(spy, "acme", marks, load=True) is None
    assert small.rows(spy, "acme", marks, load=False) is None
    assert len(spy.statements) == 1
    now[0] += DAY
    assert small.rows(spy, "acme", marks, load=True) is None
    assert len(spy.statements) == 2
    roomy, _ = windows()
    assert roomy.rows(db, "acme", marks, load=False) is None
    assert roomy.rows(db, "acme", marks, load=True) is not None
    assert roomy.rows(db, "acme", marks, load=False) is not None


def test_only_an_api_owning_the_engine_keeps_windows() -> None:
    """Embedded, answers keep the tenants' recent moments; on a server (other writers beside
    it) or with a size of 0 they do not."""
    for embedded, mb, kept in ((True, 8, True), (False, 8, False), (True, 0, False)):
        answer = helpdesk_reads(ApiSettings(helpdesk_hot_mb=mb), embedded).answer
        assert (answer.__self__.hot is not None) is kept
