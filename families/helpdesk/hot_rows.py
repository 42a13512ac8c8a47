"""A tenant's recent moments, kept in the API process and brought up to date by version.

A live dashboard asks again after every batch the sink stores, and a batch rewrites the moments
of conversations of the last day or two, so the buckets resting on those days are stale at every
question (``answers.py``). Reading them again takes the two statements of ``figures_sql`` under
``FINAL``, ~70 ms however few rows they read (planning, and merging the refresh's fresh part).
Where the API owns the engine (embedded chdb) every statement runs alone, so a refresh's rows
are stored whole before any later statement starts, all with a version from that statement's
clock. There the API keeps the tenant's moments since a recent UTC day, the latest version of
each row as numpy columns (:class:`HotRows`), and, once a day it holds has a newer mark
(``changes``), reads only the rows whose version is newer than any it holds: one statement
without ``FINAL``, its newest version of a key replacing the kept one. ``hot_partials`` then
figures the buckets resting on those days alone from the rows.

The rows read whole (the *base*) stay as read, sorted by instant so that a bucket's rows are one
slice; a row replaced since is masked out of it, and the newer rows gather in a *tail*, sorted
the same way, until it grows past a quarter of the base and both are merged. Rows are found by
instant, then by a 64-bit hash of their key ``(kind, t, event_id)``: two rows of one tenant at
one instant sharing one (about one chance in 10¹⁹) would count as one until the window is read
again.

Besides the rows from :attr:`HotRows.from_ms` on, it holds the known creations before that whose
first reply lands at or after it (their first response counts there), searched no further back
than the tenant's longest wait (m0022). A refresh of such a conversation marks its creation's day,
before the window; a mark on any day before it reads the creations written since, back to the
longest wait, too. One whose reply moved before ``from_ms``, or that is no longer the known one,
is dropped.

A tenant-wide mark (an erasure, a retention run) or the clock going back reads the window again
whole, and so does age (``reads.py`` gives half the kept answers' longest use: an answer figured
from a window that old is kept as long again, so a change no mark tells of, rows deleted by hand,
lasts no longer than before).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pulse.families.helpdesk import changes
from pulse.families.helpdesk.figures_sql import EARLIEST_CREATION_AT, FROM_AT
from pulse.families.helpdesk.moments_sql import CREATED, FINAL_SETTINGS
from pulse.families.helpdesk.query import DAY_MS
from pulse.graphql.queries import Reader

Column = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
# What keeping a label costs besides its code in every row: a dict entry and its string.
_LABEL_BYTES = 100
_COLUMNS = """
SELECT cityHash64(kind, t, event_id) AS key, kind, toUnixTimestamp64Milli(t) AS t_ms, value,
       channel, priority, agent, org_unit, known_creation AS known,
       ifNull(reply_ms, -1) AS reply, ifNull(first_resolution_ms, -1) AS first_resolution,
       version
FROM helpdesk_moments"""
_TENANT = "tenant_id = {tenant_id:String}"
# The whole window: the latest version of its rows and of the earlier creations answered in it.
LOAD_SQL = f"""{_COLUMNS} FINAL
WHERE {_TENANT} AND (t >= {FROM_AT} OR (kind = {CREATED} AND known_creation
      AND reply_ms >= {{from_ms:Int64}} AND t >= {EARLIEST_CREATION_AT}))
{FINAL_SETTINGS}"""
# Rows written since: those of the window's days (versions after ``seen``), and every earlier
# creation of the longest wait (after ``early_seen``: one whose reply moved before the window, or
# that is no longer the known one, must leave it), the second only when a day before the window
# was marked since. Two statements, so that the second reads one range of the key.
WINDOW_SQL = f"""{_COLUMNS}
WHERE {_TENANT} AND t >= {FROM_AT} AND version > {{seen:UInt64}}"""
EARLY_SQL = f"""{_COLUMNS}
WHERE {_TENANT} AND kind = {CREATED} AND t >= {EARLIEST_CREATION_AT} AND t < {FROM_AT}
  AND version > {{early_seen:UInt64}}"""
_LABELLED = ("channel", "priority", "agent", "org_unit")
_NUMERIC = ("key", "kind", "t_ms", "value", "known", "reply", "first_resolution", "version")


@dataclass(frozen=True)
class Segment:
    """Rows sorted by instant, then key hash; those replaced since are out of ``alive``."""

    columns: Mapping[str, Column]
    alive: Mask

    def __len__(self) -> int:
        return len(self.alive)

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.columns.values()) + self.alive.nbytes


@dataclass(frozen=True)
class Progress:
    """How far a window is up to date: the greatest tenant-wide mark it was read after, and for
    its days and for the days before (its earlier creations) the greatest mark it has answered
    and the newest version it has read (every row written later has a greater one)."""

    everyday: int
    marked: int
    early_marked: int
    seen: int = 0
    early_seen: int = 0


@dataclass(frozen=True)
class HotRows:
    """The latest version of a tenant's moments from ``from_ms`` (a UTC day) on, and of the
    known creations before it answered at or after it: the ``base`` read whole and the ``tail``
    written since. Labels (channel, priority, agent, org unit) are codes into ``labels``."""

    tenant_id: str
    from_ms: int
    progress: Progress
    base: Segment
    tail: Segment
    labels: Mapping[str, int]
    # When the base was read (the windows' clock, seconds).
    read_at: float

    @property
    def nbytes(self) -> int:
        return self.base.nbytes + self.tail.nbytes + _LABEL_BYTES * len(self.labels)

    @property
    def segments(self) -> tuple[Segment, Segment]:
        return self.base, self.tail

    def code(self, label: str) -> int:
        """The code of ``label`` (-1 when no row holds it)."""
        return self.labels.get(label, -1)


class HotWindows:
    """Each tenant's :class:`HotRows` since the UTC day ``days`` before now, read whole again
    once ``max_age_seconds`` old, least recently used dropped first beyond ``max_bytes``. Safe
    to share between threads: one lock serialises every window's reads, which the embedded
    engine runs one at a time anyway."""

    def __init__(
        self,
        days: int,
        max_bytes: int,
        max_age_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._days = days
        self._max_bytes = max_bytes
        self._max_age = max_age_seconds
        self._clock = clock
        self._rows: OrderedDict[str, HotRows] = OrderedDict()
        # Tenants whose window was too big to keep, by the day it started: not read again
        # before the next day (each live question would read it whole).
        self._refused: dict[str, int] = {}
        self._lock = threading.Lock()

    def from_ms(self) -> int:
        """Where a window starts now."""
        return (int(self._clock() * 1000) // DAY_MS - self._days) * DAY_MS

    def rows(
        self, db: Reader, tenant_id: str, marks: Sequence[tuple[date, int]], load: bool
    ) -> HotRows | None:
        """The tenant's rows up to date with ``marks`` (``changes.versions``, read before), read
        whole if not kept and ``load``; None if not kept and not ``load``, or too big to keep.
        It may start later than :meth:`from_ms` said to a caller before (a day rolled over
        since): callers check what it holds by its own ``from_ms``."""
        with self._lock:
            from_ms = self.from_ms()
            first_day = date.fromordinal(changes.EVERY_DAY.toordinal() + from_ms // DAY_MS)
            everyday = max((v for d, v in marks if d == changes.EVERY_DAY), default=0)
            now = Progress(
                everyday,
                max((v for d, v in marks if d >= first_day), default=0),
                max((v for d, v in marks if changes.EVERY_DAY < d < first_day), default=0),
            )
            kept = self._rows.pop(tenant_id, None)
            if kept is not None and (
                kept.progress.everyday != everyday
                or self._clock() - kept.read_at > self._max_age
                or kept.from_ms > from_ms  # the clock went back
            ):
                kept = None
            if kept is None and (not load or self._refused.get(tenant_id) == from_ms):
                return None
            if kept is None:
                kept = _load(db, tenant_id, from_ms, now, self._clock())
            else:
                if kept.from_ms < from_ms:
                    kept = _narrowed(kept, from_ms)
                kept = _newer(db, kept, now)
            if kept.nbytes > self._max_bytes:
                self._refused = {t: f for t, f in self._refused.items() if f == from_ms}
                self._refused[tenant_id] = from_ms
                return None
            self._refused.pop(tenant_id, None)
            self._keep(kept)
            return kept

    def _keep(self, rows: HotRows) -> None:
        self._rows[rows.tenant_id] = rows
        total = sum(r.nbytes for r in self._rows.values())
        while total > self._max_bytes:
            _, dropped = self._rows.popitem(last=False)
            total -= dropped.nbytes


def _load(db: Reader, tenant_id: str, from_ms: int, now: Progress, read_at: float) -> HotRows:
    labels: dict[str, int] = {}
    read = _columns(db.query_arrow(LOAD_SQL, {"tenant_id": tenant_id, "from_ms": from_ms}), labels)
    seen = int(read["version"].max()) if len(read["version"]) else 0
    progress = replace(now, seen=seen, early_seen=seen)
    base, tail = _segment(read), _segment(_empty())
    return HotRows(tenant_id, from_ms, progress, base, tail, labels, read_at)


def _newer(db: Reader, rows: HotRows, now: Progress) -> HotRows:
    """``rows`` with the rows written since they were read in place of their older versions,
    read where a day was marked since."""
    was = rows.progress
    window, early = now.marked > was.marked, now.early_marked > was.early_marked
    if not window and not early:
        return rows
    statements = [sql for sql, asked in ((WINDOW_SQL, window), (EARLY_SQL, early)) if asked]
    params = {
        "tenant_id": rows.tenant_id,
        "from_ms": rows.from_ms,
        "seen": was.seen,
        "early_seen": was.early_seen,
    }
    labels = dict(rows.labels)
    newer = _columns(db.query_arrow("\nUNION ALL\n".join(statements), params), labels)
    in_window = newer["t_ms"] >= rows.from_ms
    progress = Progress(
        now.everyday,
        now.marked if window else was.marked,
        now.early_marked if early else was.early_marked,
        int(newer["version"][in_window].max(initial=was.seen)),
        int(newer["version"][~in_window].max(initial=was.early_seen)),
    )
    if not len(newer["key"]):
        return replace(rows, progress=progress)
    # The newest version of each row: by instant, key and version, the last of each key.
    order = np.lexsort((newer["version"], newer["key"], newer["t_ms"]))
    newer = {name: c[order] for name, c in newer.items()}
    t, key = newer["t_ms"], newer["key"]
    last = np.append((t[1:] != t[:-1]) | (key[1:] != key[:-1]), True)
    newer = {name: c[last] for name, c in newer.items()}
    base = replace(rows.base, alive=_unreplaced(rows.base, newer))
    gathered = _joined(
        rows.tail.columns, _unreplaced(rows.tail, newer), newer, _relevant(newer, rows.from_ms)
    )
    if 4 * len(gathered["key"]) > len(base):
        base, gathered = _segment(_joined(base.columns, base.alive, gathered, None)), _empty()
    return replace(rows, progress=progress, base=base, tail=_segment(gathered), labels=labels)


def _unreplaced(segment: Segment, newer: Mapping[str, Column]) -> Mask:
    """``segment``'s alive rows but those ``newer`` holds a version of (same instant and key)."""
    alive = segment.alive.copy()
    if not len(segment):
        return alive
    t, key = segment.columns["t_ms"], segment.columns["key"]
    lo = np.searchsorted(t, newer["t_ms"], "left")
    hi = np.searchsorted(t, newer["t_ms"], "right")
    one = (hi - lo == 1) & (key[np.minimum(lo, len(t) - 1)] == newer["key"])
    alive[lo[one]] = False
    for i in np.flatnonzero(hi - lo > 1):  # several rows at one instant: rare
        alive[lo[i] + np.flatnonzero(key[lo[i] : hi[i]] == newer["key"][i])] = False
    return alive


def _joined(
    columns: Mapping[str, Column],
    kept: Mask,
    more: Mapping[str, Column],
    chosen: Mask | None,
) -> dict[str, Column]:
    """The ``kept`` rows of ``columns`` and the ``chosen`` ones of ``more`` (all if None)."""
    return {
        name: np.concatenate([c[kept], more[name] if chosen is None else more[name][chosen]])
        for name, c in columns.items()
    }


def _segment(columns: Mapping[str, Column]) -> Segment:
    order = np.lexsort((columns["key"], columns["t_ms"]))
    sorted_columns = {name: c[order] for name, c in columns.items()}
    return Segment(sorted_columns, np.ones(len(order), dtype=bool))


def _narrowed(rows: HotRows, from_ms: int) -> HotRows:
    """``rows`` from a later day on: what the window holds from there, in one segment. The
    days it drops become days before it, whose rows were read as the window's: the earlier
    creations are known up to the older of both versions read."""
    held = [(s.columns, s.alive & _relevant(s.columns, from_ms)) for s in rows.segments]
    (base, base_held), (tail, tail_held) = held
    merged = _segment(_joined(base, base_held, tail, tail_held))
    was = rows.progress
    progress = replace(was, early_seen=min(was.seen, was.early_seen))
    return replace(rows, from_ms=from_ms, progress=progress, base=merged, tail=_segment(_empty()))


def _relevant(columns: Mapping[str, Column], from_ms: int) -> Mask:
    """The rows a window from ``from_ms`` holds: those from it on, and the known creations
    before it answered at or after it."""
    early = (columns["kind"] == CREATED) & (columns["known"] == 1)
    held: Mask = (columns["t_ms"] >= from_ms) | (early & (columns["reply"] >= from_ms))
    return held


def _empty() -> dict[str, Column]:
    return {name: np.zeros(0, dtype=np.int64) for name in (*_NUMERIC, *_LABELLED)}


def _columns(table: pa.Table, labels: dict[str, int]) -> dict[str, Column]:
    """The read's columns as int64 arrays, labels turned into codes of ``labels`` (grown)."""
    if not table.num_columns:
        return _empty()
    found = {name: table.column(name).to_numpy().astype(np.int64, copy=False) for name in _NUMERIC}
    for name in _LABELLED:
        column = table.column(name).combine_chunks()
        if not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        codes = np.array(
            [labels.setdefault(str(s), len(labels)) for s in column.dictionary.to_pylist()],
            dtype=np.int64,
        )
        indices = column.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        found[name] = codes[indices] if len(codes) else np.zeros(len(indices), dtype=np.int64)
    return found
