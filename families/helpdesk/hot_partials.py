"""The partials of a question's buckets figured from a tenant's recent moments in numpy.

The same reading of the moments as ``figures_sql``'s two statements, over the rows
:class:`~pulse.families.helpdesk.hot_rows.HotRows` holds, for buckets that rest on them alone
(``held``: a bucket's events, and the creations up to the longest target before it). A row goes
to the grid bucket holding its instant; the grid and ClickHouse agree on bucket starts wherever
answers are kept (``answers.py`` reads hours around a non-whole-hour offset change whole).
``tests/families/test_helpdesk_hot.py`` holds both readings equal over random conversations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pulse.families.helpdesk.conversations_sql import OWN_TARGETS, sla_params
from pulse.families.helpdesk.hot_rows import Column, HotRows, Mask, Segment
from pulse.families.helpdesk.model import HelpdeskQuery
from pulse.families.helpdesk.moments_sql import CREATED, CSAT, REOPENED, RESOLVED
from pulse.families.helpdesk.partials import COUNTS, Partial
from pulse.families.helpdesk.query import filter_values

_KINDS = max(CREATED, CSAT, REOPENED, RESOLVED) + 1


def held(from_ms: int, q: HelpdeskQuery, indexes: Sequence[int]) -> list[int]:
    """Those of ``indexes`` whose buckets a window from ``from_ms`` holds every moment of: its
    own, and the creations up to the question's longest target before it."""
    longest = max(sla_params(q.sla_ms).values())
    return [i for i in indexes if q.buckets[i].start_ms - longest >= from_ms]


def partials(rows: HotRows, q: HelpdeskQuery, indexes: Sequence[int]) -> dict[int, Partial]:
    """The partial of each bucket at ``indexes`` (each one ``held``)."""
    if not indexes:
        return {}
    starts = np.array([b.start_ms for b in q.buckets] + [q.to_ms], dtype=np.int64)
    targets = _targets(rows, q)
    found = [_Found(indexes) for _ in rows.segments]
    for segment, into in zip(rows.segments, found, strict=True):
        chosen = segment.alive & _filtered(rows, segment, q)
        _events(segment, chosen, starts, into)
        _creations(segment, chosen, starts, targets, into)
    return {i: _partial(i, found) for i in indexes}


class _Found:
    """What one segment's rows give each asked bucket."""

    def __init__(self, indexes: Sequence[int]) -> None:
        self.indexes = list(indexes)
        self.counts = {i: dict.fromkeys(COUNTS, 0) for i in indexes}
        self.values: dict[tuple[int, str], Column] = {}


def _events(segment: Segment, chosen: Mask, starts: Column, into: _Found) -> None:
    """Each asked bucket's events: one slice of the rows, sorted by instant."""
    c = segment.columns
    bounds = np.searchsorted(c["t_ms"], starts)
    for i in into.indexes:
        lo, hi = bounds[i], bounds[i + 1]
        keep = chosen[lo:hi]
        kind, value = c["kind"][lo:hi][keep], c["value"][lo:hi][keep]
        by_kind = np.bincount(kind, minlength=_KINDS)
        timed = value[(kind == RESOLVED) & (value >= 0)]
        scores = value[kind == CSAT]
        counts = into.counts[i]
        counts["created"] = int(by_kind[CREATED])
        counts["resolved"] = int(by_kind[RESOLVED])
        counts["reopened"] = int(by_kind[REOPENED])
        counts["res_n"], counts["res_total"] = len(timed), int(timed.sum())
        counts["backlog_change"] = int(by_kind[CREATED] + by_kind[REOPENED] - by_kind[RESOLVED])
        counts["csat_n"], counts["csat_total"] = len(scores), int(scores.sum())
        counts["csat_good"] = int(np.count_nonzero(scores >= 4))
        into.values[i, "resolutions"] = timed


def _creations(
    segment: Segment, chosen: Mask, starts: Column, targets: Column, into: _Found
) -> None:
    """The known creations answered in an asked bucket (first response, SLA met) and those
    whose deadline falls in one with no reply by it and no resolution before it."""
    c = segment.columns
    known = chosen & (c["kind"] == CREATED) & (c["known"] == 1)
    created, reply = c["t_ms"][known], c["reply"][known]
    first_resolution, target = c["first_resolution"][known], targets[c["priority"][known]]
    n = len(starts) - 1
    asked = np.zeros(n + 1, dtype=bool)
    asked[into.indexes] = True
    rb = _bucket(starts, asked, reply)  # -1 without a reply: before every bucket
    answered = rb < n
    rb, frt, within = rb[answered], (reply - created)[answered], target[answered]
    deadline = created + target
    db = _bucket(starts, asked, deadline)
    late = (
        (db < n)
        & ((reply < 0) | (reply > deadline))
        & ((first_resolution < 0) | (first_resolution >= deadline))
    )
    db, deadline = db[late], deadline[late]
    for i in into.indexes:
        mine = frt[rb == i]
        counts = into.counts[i]
        counts["frt_n"], counts["frt_total"] = len(mine), int(mine.sum())
        counts["met"] = int(np.count_nonzero(mine <= within[rb == i]))
        into.values[i, "first_responses"] = mine
        into.values[i, "deadlines"] = deadline[db == i]


def _bucket(starts: Column, asked: Mask, at: Column) -> Column:
    """Each instant's bucket index among ``starts`` if that bucket is asked, else the number
    of buckets (``len(starts) - 1``)."""
    n = len(starts) - 1
    found = np.searchsorted(starts, at, "right") - 1
    found[(found < 0) | (found >= n)] = n
    return np.where(asked[found], found, n)


def _filtered(rows: HotRows, segment: Segment, q: HelpdeskQuery) -> Mask:
    """The rows of ``segment`` that ``q``'s filters keep (``query.filter_values``)."""
    c = segment.columns
    chosen = np.ones(len(segment), dtype=bool)
    for name, wanted in filter_values(q).items():
        if isinstance(wanted, str):
            chosen &= c[name] == rows.code(wanted)
        else:
            chosen &= np.isin(c["org_unit"], [rows.code(label) for label in wanted])
    return chosen


def _targets(rows: HotRows, q: HelpdeskQuery) -> Column:
    """The question's first-response target by priority code (``target_sql``: normal's for a
    priority without a target of its own)."""
    targets = sla_params(q.sla_ms)
    by_code = np.full(max(len(rows.labels), 1), targets["sla_normal"], dtype=np.int64)
    for label, code in rows.labels.items():
        if label in OWN_TARGETS:
            by_code[code] = targets[f"sla_{label}"]
    return by_code


def _partial(index: int, found: Sequence[_Found]) -> Partial:
    """Bucket ``index``'s partial from what every segment gave it."""
    counts = {name: sum(f.counts[index][name] for f in found) for name in COUNTS}
    values = {
        name: np.sort(np.concatenate([f.values[index, name] for f in found]))
        for name in ("resolutions", "first_responses", "deadlines")
    }
    return Partial(counts, values["resolutions"], values["first_responses"], values["deadlines"])
