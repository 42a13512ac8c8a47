"""A helpdesk question's answer, bucket by bucket, each read from ClickHouse or kept from an
earlier question while nothing it rests on has changed.

A dashboard asks the same buckets again and again while only the last ones change. So each
bucket's :class:`~pulse.families.helpdesk.partials.Partial` (and the backlog's opening) is kept
in an :class:`AnswerCache` under what decides it (tenant, zone, granularity, filters, SLA targets,
bounds) with the version of the days it rests on (``changes``): the UTC days from its start less
the longest target (a creation that much earlier breaches in it) to its end, or for the opening
every day before the range. A bucket whose days have a newer row is read again, with every other
bucket missing, in the two statements of ``figures_sql`` (consecutive buckets as one run); the
totals are then the kept and read partials together. ``asOf`` decides only which kept deadlines
have passed, so it is no part of the key. Where the API owns the engine, a stale bucket resting on
the tenant's last days alone is figured from its recent moments kept in the process
(``hot_rows``, ``hot_partials``) instead of the statements.

ClickHouse groups rows by its own bucket starts, which are the grid's but for the hours around a
non-whole-hour offset change (Australia/Lord_Howe): there a row goes to the read bucket nearest
its start (``partials.Assembler``), which depends on what was read, so such a question is read
whole and nothing of it kept.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pulse.families.grid import clock_hours
from pulse.families.helpdesk import changes, hot_partials
from pulse.families.helpdesk.conversations_sql import sla_params
from pulse.families.helpdesk.figures_sql import FILTERS, creations_sql, events_sql
from pulse.families.helpdesk.hot_rows import HotWindows
from pulse.families.helpdesk.model import HelpdeskAnswer, HelpdeskFigures, HelpdeskQuery
from pulse.families.helpdesk.partials import Assembler, Partial, figures
from pulse.families.helpdesk.query import (
    DAY_MS,
    figures_of,
    filter_values,
    opening_ms,
    statement_params,
)
from pulse.graphql.queries import Reader

# More runs than this are read as one span from the first to the last (rereading the kept
# buckets between them) so that a statement's text stays short.
MAX_RUNS = 8
_OPENING = -1
_EMPTY = Partial()


class AnswerCache:
    """Partials by key, each with the version it was read at; the least recently used go first
    beyond ``max_bytes``, and none is used after ``max_age_seconds`` (a bound should a change go
    unmarked: rows deleted by hand). Safe to share between threads."""

    def __init__(
        self,
        max_bytes: int,
        max_age_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_bytes = max_bytes
        self._max_age = max_age_seconds
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[int, float, Partial]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int) -> Partial | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            kept_version, kept_at, partial = entry
            if kept_version != version or self._clock() - kept_at > self._max_age:
                return None
            self._entries.move_to_end(key)
            return partial

    def put(self, key: Hashable, version: int, partial: Partial) -> None:
        """Keep ``partial`` as read at ``version``, unless a newer one is kept already (two
        questions read it at once)."""
        if partial.nbytes > self._max_bytes:
            return
        with self._lock:
            old = self._entries.get(key)
            if old is not None:
                if old[0] > version:
                    return
                del self._entries[key]
                self._bytes -= old[2].nbytes
            self._entries[key] = (version, self._clock(), partial)
            self._bytes += partial.nbytes
            while self._bytes > self._max_bytes:
                _, (_, _, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped.nbytes

    @property
    def size_bytes(self) -> int:
        return self._bytes


@dataclass(frozen=True)
class HelpdeskAnswers:
    """``helpdesk_answer`` keeping bucket answers in ``cache`` (the API's, one per process) and,
    where the API owns the engine, the tenants' recent moments in ``hot``."""

    cache: AnswerCache
    hot: HotWindows | None = None

    def answer(self, db: Reader, q: HelpdeskQuery) -> HelpdeskAnswer:
        return helpdesk_answer(db, q, self.cache, self.hot)


def helpdesk_answer(
    db: Reader,
    q: HelpdeskQuery,
    cache: AnswerCache | None = None,
    hot: HotWindows | None = None,
) -> HelpdeskAnswer:
    """Figures of every bucket of ``q`` (empty ones zero and null, backlog carried) and totals.
    With ``cache``, buckets kept are reused, and with ``hot`` too, stale ones resting on the
    tenant's recent days alone are figured from its recent moments."""
    count = len(q.buckets)
    kept: dict[int, Partial] = {}
    stamps: dict[int, tuple[Hashable, int]] = {}
    if cache is not None and q.granularity == "hour" and not clock_hours(q.buckets):
        cache = None
    marks: list[tuple[date, int]] = []
    if cache is not None:
        marks = changes.versions(db, q.tenant_id)
        stamps = _stamps(q, marks)
        for index, (key, version) in stamps.items():
            found = cache.get(key, version)
            if found is not None:
                kept[index] = found
    missing = [i for i in range(count) if i not in kept]
    opening = _OPENING not in kept
    recent = _recent(db, q, hot, marks, missing, opening) if cache is not None else {}
    read = _read(db, q, [i for i in missing if i not in recent], opening)
    read.update(recent)
    if cache is not None:
        for index, partial in read.items():
            key, version = stamps[index]
            cache.put(key, version, partial)
    parts = {**read, **kept}
    backlog = parts[_OPENING].counts["backlog_change"]
    buckets: list[HelpdeskFigures] = []
    for index in range(count):
        part = parts[index]
        backlog += part.counts["backlog_change"]
        buckets.append(figures_of(figures([part], q.as_of_ms), backlog))
    totals = figures([parts[i] for i in range(count)], q.as_of_ms)
    return HelpdeskAnswer(buckets=tuple(buckets), totals=figures_of(totals, backlog))


def range_figures(db: Reader, q: HelpdeskQuery) -> HelpdeskFigures:
    """Figures over the whole ``[q.from_ms, q.to_ms)`` whatever its buckets (an alert's window
    is on no grid: one bucket spanning it will do), the backlog at ``q.to_ms``."""
    return helpdesk_answer(db, q).totals


def _read(
    db: Reader, q: HelpdeskQuery, indexes: Sequence[int], opening: bool
) -> dict[int, Partial]:
    """Partials of the buckets at ``indexes`` (and of the opening) from ClickHouse, one for
    each whether or not a row reached it."""
    runs = _runs(indexes)
    if len(runs) > MAX_RUNS:
        runs = [(runs[0][0], runs[-1][1])]
    read = [i for first, last in runs for i in range(first, last + 1)]
    bounds = [(q.buckets[first].start_ms, q.buckets[last].end_ms) for first, last in runs]
    filters = "".join(FILTERS[name] for name in filter_values(q))
    params = statement_params(q)
    for i, (run_from, run_to) in enumerate(bounds):
        params[f"run_from_{i}"], params[f"run_to_{i}"] = run_from, run_to
    assembler = Assembler([b.start_ms for b in q.buckets], read)
    if runs or opening:
        assembler.events(
            db.query_arrow(events_sql(q.granularity, filters, len(runs), opening), params)
        )
    if runs:
        longest = max(sla_params(q.sla_ms).values())
        spanned = {
            "from_ms": bounds[0][0],
            "to_ms": bounds[-1][1],
            "opening_ms": opening_ms(bounds[0][0], longest),
        }
        sql = creations_sql(q.granularity, filters, len(runs))
        assembler.creations(db.query_arrow(sql, {**params, **spanned}))
    found = assembler.partials()
    wanted = [*read, _OPENING] if opening else read
    return {i: found.get(i, _EMPTY) for i in wanted}


def _runs(indexes: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive indexes as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indexes):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _recent(
    db: Reader,
    q: HelpdeskQuery,
    hot: HotWindows | None,
    marks: Sequence[tuple[date, int]],
    missing: Sequence[int],
    opening: bool,
) -> dict[int, Partial]:
    """The partials of the ``missing`` buckets that rest on the tenant's recent moments alone,
    from ``hot``. Those are read whole only for a question they spare every statement (only
    recent buckets missing, as when a live dashboard asks again), not for a first one."""
    if hot is None:
        return {}
    recent = hot_partials.held(hot.from_ms(), q, missing)
    if not recent:
        return {}
    spared = len(recent) == len(missing) and not opening
    rows = hot.rows(db, q.tenant_id, marks, load=spared)
    if rows is None:
        return {}
    return hot_partials.partials(rows, q, hot_partials.held(rows.from_ms, q, recent))


def _stamps(q: HelpdeskQuery, marks: Sequence[tuple[date, int]]) -> dict[int, tuple[Hashable, int]]:
    """For each bucket index (and the opening), its key in the cache and the version of the
    days it rests on now (``marks``: ``changes.versions``)."""
    # Day numbers from the epoch, which is also the every-day row's day: ``up_to`` counts that
    # row in every opening, as it must.
    days = [(d - changes.EVERY_DAY).days for d, _ in marks]
    every = max((v for d, v in marks if d == changes.EVERY_DAY), default=0)
    prefix: list[int] = []
    for _, version in marks:
        prefix.append(max(version, prefix[-1] if prefix else 0))

    def up_to(last_day: int) -> int:
        n = bisect_right(days, last_day)
        return prefix[n - 1] if n else 0

    def between(first_day: int, last_day: int) -> int:
        lo, hi = bisect_left(days, first_day), bisect_right(days, last_day)
        return max([every, *(v for _, v in marks[lo:hi])])

    targets = sla_params(q.sla_ms)
    longest = max(targets.values())
    filters = tuple(
        (name, value if isinstance(value, str) else tuple(value))
        for name, value in sorted(filter_values(q).items())
    )
    # The opening's split between moments and day rows moves with the longest target.
    asked: tuple[Any, ...] = (q.tenant_id, filters, tuple(sorted(targets.items())))
    kind = (q.time_zone, q.granularity)
    stamps: dict[int, tuple[Hashable, int]] = {
        _OPENING: ((*asked, "opening", q.from_ms), up_to((q.from_ms - 1) // DAY_MS)),
    }
    for index, b in enumerate(q.buckets):
        first, last = (b.start_ms - longest) // DAY_MS, (b.end_ms - 1) // DAY_MS
        stamps[index] = ((*asked, *kind, b.start_ms, b.end_ms), between(first, last))
    return stamps
