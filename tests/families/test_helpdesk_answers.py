"""Helpdesk answers kept per bucket: asked again, nothing is read but the days' versions; a late
event, a reassignment or an erasure reads again exactly the buckets resting on the days it
changed, and every kept answer equals one read from scratch."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from pulse.families.grid import grid
from pulse.families.helpdesk import changes
from pulse.families.helpdesk.answers import AnswerCache, HelpdeskAnswers, helpdesk_answer
from pulse.families.helpdesk.model import DEFAULT_SLA_MS, HelpdeskQuery
from pulse.families.helpdesk.partials import Partial
from pulse.families.helpdesk.reads import helpdesk_reads
from pulse.settings import ApiSettings
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import created, event, ms, reply, store

pytestmark = pytest.mark.clickhouse

RANGE = ("2026-03-02T00:00Z", "2026-03-05T00:00Z")
DAY = 86_400_000


class Spy:
    """A reader that records the Arrow reads (the figures' statements) it passes on."""

    def __init__(self, db: ClickHouse) -> None:
        self.db = db
        self.reads: list[Mapping[str, Any]] = []
        self.statements: list[str] = []

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.db.query(sql, params)

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        self.reads.append(dict(params or {}))
        self.statements.append(sql)
        return self.db.query_arrow(sql, params)

    def runs(self) -> set[tuple[int, int]]:
        """The bucket runs the recorded reads asked for."""
        return {
            (int(p[f"run_from_{i}"]), int(p[f"run_to_{i}"]))
            for p in self.reads
            for i in range(8)
            if f"run_from_{i}" in p
        }

    def clear(self) -> None:
        self.reads.clear()
        self.statements.clear()

    def read_opening(self) -> bool:
        """Whether a recorded read opened the backlog (from the day rows)."""
        return any("helpdesk_backlog_days" in sql for sql in self.statements)


def question(as_of: str = RANGE[1], **filters: Any) -> HelpdeskQuery:
    buckets = grid(ms(RANGE[0]), ms(RANGE[1]), "day", "UTC", 10)
    return HelpdeskQuery("acme", buckets, "UTC", "day", ms(as_of), DEFAULT_SLA_MS, **filters)


def two_days(db: ClickHouse) -> None:
    """c1 answered after 30 minutes on March 2nd; c2 created March 3rd 10:00, unanswered
    (normal priority: its deadline is 14:00)."""
    store(
        db,
        [
            created("c1", "2026-03-02T09:00Z"),
            reply("c1", "2026-03-02T09:30Z", agent_id="ann"),
            created("c2", "2026-03-03T10:00Z"),
        ],
    )


def test_a_kept_answer_reads_nothing_again_until_a_late_reply_changes_its_days(
    db: ClickHouse,
) -> None:
    """Asked again, the answer comes from the cache; c2's reply at 13:00 (before its deadline)
    re-reads the buckets of March 3rd and 4th only (the 4th rests on the 3rd: a low-priority
    deadline is a day), turning the breach into a met SLA."""
    two_days(db)
    cache, spy = AnswerCache(1 << 20, 60), Spy(db)
    first = helpdesk_answer(spy, question(), cache)
    assert (first.totals.sla_met, first.totals.sla_breached) == (1, 1)
    spy.clear()
    assert helpdesk_answer(spy, question(), cache) == first
    assert spy.reads == []
    store(db, [reply("c2", "2026-03-03T13:00Z", agent_id="bob")])
    again = helpdesk_answer(spy, question(), cache)
    assert spy.runs() == {(ms(RANGE[0]) + DAY, ms(RANGE[1]))}
    assert not spy.read_opening()
    assert (again.totals.sla_met, again.totals.sla_breached) == (2, 0)
    assert (again.totals.frt_p50_seconds, again.totals.frt_p90_seconds) == (1800.0, 10800.0)
    assert again == helpdesk_answer(db, question())


def test_one_kept_answer_serves_every_as_of(db: ClickHouse) -> None:
    """c2 breaches at 14:00 on March 3rd: judged at noon it has not, at the range's end it has,
    and both come from the same kept buckets."""
    two_days(db)
    cache, spy = AnswerCache(1 << 20, 60), Spy(db)
    at_noon = helpdesk_answer(spy, question("2026-03-03T12:00Z"), cache)
    spy.clear()
    at_end = helpdesk_answer(spy, question(), cache)
    assert spy.reads == []
    assert (at_noon.totals.sla_breached, at_end.totals.sla_breached) == (0, 1)
    assert at_noon == helpdesk_answer(db, question("2026-03-03T12:00Z"))
    assert at_end == helpdesk_answer(db, question())


def test_an_erasure_mark_reads_every_bucket_and_the_opening_again(db: ClickHouse) -> None:
    """The tenant-wide mark an erasure writes makes every kept answer of the tenant stale."""
    two_days(db)
    cache, spy = AnswerCache(1 << 20, 60), Spy(db)
    helpdesk_answer(spy, question(), cache)
    spy.clear()
    changes.mark_every_day_of(db, ["acme"])
    helpdesk_answer(spy, question(), cache)
    assert spy.runs() == {(ms(RANGE[0]), ms(RANGE[1]))}
    assert spy.read_opening()


def test_kept_answers_match_fresh_ones_through_late_and_reassigned_history(
    db: ClickHouse,
) -> None:
    """Conversations stored in random batches (late creations, replies, resolutions,
    reassignments, across the range and the days before it): after every batch the answers
    kept, unfiltered and by agent, equal answers read from scratch."""
    chance = random.Random(7)
    cache = AnswerCache(1 << 22, 60)
    start = ms(RANGE[0]) - 2 * DAY
    for batch in range(6):
        rows = []
        for _ in range(8):
            conversation = f"k{chance.randrange(12)}"
            at = start + chance.randrange(5 * DAY)
            kind = chance.choice(["created", "reply", "resolved", "reopened", "assigned"])
            agent = chance.choice(["ann", "bob"])
            if kind == "created":
                priority = chance.choice(["urgent", "high", "normal", "low"])
                rows.append(created(conversation, at, agent_id=agent, priority=priority))
            elif kind == "reply":
                rows.append(reply(conversation, at, agent_id=agent))
            elif kind == "assigned":
                rows.append(event("conversation.assigned", conversation, at, agent_id=agent))
            else:
                rows.append(event(f"conversation.{kind}", conversation, at))
        store(db, rows)
        for filters in ({}, {"agent": "ann"}, {"agent": "bob"}):
            kept = helpdesk_answer(db, question(**filters), cache)
            assert kept == helpdesk_answer(db, question(**filters)), (batch, filters)


def zoned(zone: str, first: str, last: str) -> HelpdeskQuery:
    """Hour buckets of ``zone`` over ``[first, last)``, judged at its end."""
    buckets = grid(ms(first), ms(last), "hour", zone, 100)
    return HelpdeskQuery("acme", buckets, zone, "hour", ms(last), DEFAULT_SLA_MS)


def test_kept_hours_across_a_fall_back_match_fresh_ones(db: ClickHouse) -> None:
    """Lisbon's hour buckets around 2026-10-25's fall-back (two 01:00 local hours), kept while
    random conversation events arrive in batches, equal hours read from scratch."""
    chance = random.Random(11)
    cache = AnswerCache(1 << 22, 60)
    first, last = "2026-10-24T20:00Z", "2026-10-25T06:00Z"
    for _ in range(4):
        rows = []
        for _ in range(6):
            conversation = f"h{chance.randrange(8)}"
            at = ms(first) - 3 * 3_600_000 + chance.randrange(13 * 3_600_000)
            kind = chance.choice(["created", "reply", "resolved"])
            if kind == "created":
                rows.append(created(conversation, at, priority=chance.choice(["urgent", "high"])))
            elif kind == "reply":
                rows.append(reply(conversation, at, agent_id="ann"))
            else:
                rows.append(event("conversation.resolved", conversation, at))
        store(db, rows)
        q = zoned("Europe/Lisbon", first, last)
        assert helpdesk_answer(db, q, cache) == helpdesk_answer(db, q)


def test_hours_around_a_half_hour_offset_change_are_read_whole_each_time(db: ClickHouse) -> None:
    """Lord Howe moves from +10:30 to +11 on 2026-10-04 (15:30Z): ClickHouse's hours there are
    not the grid's, so those questions are read whole every time (and stay exact); a week
    later its clock hours are kept."""
    store(
        db,
        [
            created("l1", "2026-10-03T15:10Z", priority="urgent"),
            reply("l1", "2026-10-03T15:45Z", agent_id="ann"),
            created("l2", "2026-10-10T15:10Z", priority="urgent"),
        ],
    )
    cache, spy = AnswerCache(1 << 20, 60), Spy(db)
    around = zoned("Australia/Lord_Howe", "2026-10-03T12:00Z", "2026-10-03T20:00Z")
    helpdesk_answer(spy, around, cache)
    spy.clear()
    assert helpdesk_answer(spy, around, cache) == helpdesk_answer(db, around)
    assert spy.runs() == {(around.from_ms, around.to_ms)}
    later = zoned("Australia/Lord_Howe", "2026-10-10T12:00Z", "2026-10-10T20:00Z")
    helpdesk_answer(spy, later, cache)
    spy.clear()
    assert helpdesk_answer(spy, later, cache) == helpdesk_answer(db, later)
    assert spy.reads == []


def test_a_slower_read_of_an_older_version_keeps_the_newer_one() -> None:
    """Two questions read a bucket at once: the one read at the older version, stored last,
    does not replace the newer."""
    cache, newer, older = AnswerCache(1 << 20, 60), _partial(2), _partial(1)
    cache.put("a", 2, newer)
    cache.put("a", 1, older)
    assert (cache.get("a", 2), cache.get("a", 1)) == (newer, None)
    assert cache.size_bytes == newer.nbytes


def _partial(values: int) -> Partial:
    return Partial(resolutions=np.arange(values, dtype=np.int64))


def test_the_cache_drops_the_least_recently_used_beyond_its_size_and_stale_versions() -> None:
    """Entries past the byte bound go oldest-used first; another version or age is a miss."""
    now = [0.0]
    one = _partial(1000)
    cache = AnswerCache(2 * one.nbytes + 10, 60, clock=lambda: now[0])
    cache.put("a", 1, one)
    cache.put("b", 1, one)
    assert cache.get("a", 1) is one  # "b" is now the least recently used
    cache.put("c", 1, one)
    assert (cache.get("a", 1), cache.get("b", 1), cache.get("c", 1)) == (one, None, one)
    assert cache.get("a", 2) is None
    now[0] = 61.0
    assert cache.get("a", 1) is None
    assert cache.size_bytes <= 2 * one.nbytes + 10


def test_the_api_keeps_answers_as_its_settings_say() -> None:
    """A cache size binds answers kept per bucket; a size of 0 reads every bucket each time."""
    kept = helpdesk_reads(ApiSettings(helpdesk_cache_mb=1)).answer
    assert isinstance(getattr(kept, "__self__", None), HelpdeskAnswers)
    assert helpdesk_reads(ApiSettings(helpdesk_cache_mb=0)).answer is helpdesk_answer
