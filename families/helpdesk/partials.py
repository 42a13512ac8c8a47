"""What one stretch of a question's grid holds, and the figures of one or several stretches.

A :class:`Partial` is what ``figures_sql``'s statements return for one bucket (or the opening
of the backlog): counts and sums, and the values that exact percentiles and SLA breaches need,
each sorted. Figures of several buckets (the totals) add the counts and select the nearest rank
among all their values, so a bucket's partial is reused by any range that holds it; a breach
counts once ``asOf`` reaches its deadline, so one partial answers any ``asOf``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Values = npt.NDArray[np.int64]

COUNTS = (
    "created",
    "resolved",
    "reopened",
    "res_n",
    "res_total",
    "backlog_change",
    "csat_n",
    "csat_total",
    "csat_good",
    "frt_n",
    "frt_total",
    "met",
)
_EVENT_COUNTS = COUNTS[: COUNTS.index("frt_n")]
_CREATION_COUNTS = COUNTS[COUNTS.index("frt_n") :]
_NONE: Values = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Partial:
    """A bucket's counts and sums, and its sorted resolution times, first response times and
    breaching deadlines (ms)."""

    counts: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    resolutions: Values = field(default_factory=lambda: _NONE)
    first_responses: Values = field(default_factory=lambda: _NONE)
    deadlines: Values = field(default_factory=lambda: _NONE)

    @property
    def nbytes(self) -> int:
        """About what keeping it costs."""
        arrays = (self.resolutions, self.first_responses, self.deadlines)
        return 64 * len(COUNTS) + sum(a.nbytes for a in arrays)


@dataclass
class _Building:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    resolutions: list[Values] = field(default_factory=list)
    first_responses: list[Values] = field(default_factory=list)
    deadlines: list[Values] = field(default_factory=list)

    def done(self) -> Partial:
        return Partial(
            self.counts,
            _sorted(self.resolutions),
            _sorted(self.first_responses),
            _sorted(self.deadlines),
        )


class Assembler:
    """Partials of the buckets starting at ``starts`` that were ``read`` (indexes, ascending)
    and of the opening (index ``-1``), from the rows of both statements. A start ClickHouse gives
    that is no grid start (a zone whose offset moves by a non-whole hour) goes to the bucket it
    falls in, or the first read one after it."""

    def __init__(self, starts: Sequence[int], read: Sequence[int]) -> None:
        self._starts = np.asarray(starts, dtype=np.int64)
        self._read = np.asarray(read, dtype=np.int64)
        self._found: dict[int, _Building] = {}

    def events(self, table: pa.Table) -> None:
        """Rows of ``EVENTS_SQL``."""
        if not table.num_rows:
            return
        resolutions = _lists(table, "resolutions")
        columns = {c: table.column(c).to_pylist() for c in ("start_ms", *_EVENT_COUNTS)}
        for i, start in enumerate(columns["start_ms"]):
            found = self._at(int(start))
            for c in _EVENT_COUNTS:
                found.counts[c] += int(columns[c][i])
            found.resolutions.append(resolutions[i])

    def creations(self, table: pa.Table) -> None:
        """Rows of ``CREATIONS_SQL``: each adds to its reply's bucket and its deadline's."""
        if not table.num_rows:
            return
        first_responses, deadlines = _lists(table, "first_responses"), _lists(table, "deadlines")
        names = ("reply_start_ms", "deadline_start_ms", *_CREATION_COUNTS)
        columns = {c: table.column(c).to_pylist() for c in names}
        for i, reply_start in enumerate(columns["reply_start_ms"]):
            if reply_start >= 0:
                found = self._at(int(reply_start))
                for c in _CREATION_COUNTS:
                    found.counts[c] += int(columns[c][i])
                found.first_responses.append(first_responses[i])
            deadline_start = int(columns["deadline_start_ms"][i])
            if deadline_start >= 0:
                self._at(deadline_start).deadlines.append(deadlines[i])

    def partials(self) -> dict[int, Partial]:
        """By bucket index (``-1``: the opening), the buckets some row reached."""
        return {index: building.done() for index, building in self._found.items()}

    def _at(self, start_ms: int) -> _Building:
        index = -1
        if start_ms >= 0:
            index = max(int(np.searchsorted(self._starts, start_ms, "right")) - 1, 0)
            found = int(np.searchsorted(self._read, index))
            index = int(self._read[min(found, len(self._read) - 1)])
        return self._found.setdefault(index, _Building())


def figures(parts: Sequence[Partial], as_of_ms: int) -> dict[str, int]:
    """The counts of ``parts`` together, with the nearest ranks (p50, p90) of their values and
    their breaches by ``as_of_ms``: ``query.figures_of``'s row."""
    row = {c: sum(p.counts[c] for p in parts) for c in COUNTS}
    for name, values in (
        ("res", [p.resolutions for p in parts]),
        ("frt", [p.first_responses for p in parts]),
    ):
        row[f"{name}_p50"], row[f"{name}_p90"] = nearest_ranks(values)
    row["breached"] = sum(int(np.searchsorted(p.deadlines, as_of_ms, "right")) for p in parts)
    return row


def nearest_ranks(sorted_parts: Sequence[Values]) -> tuple[int, int]:
    """The ``ceil(p/100 · n)``-th smallest of all the values, for p = 50 and 90 (0 for none)."""
    filled = [v for v in sorted_parts if len(v)]
    n = sum(len(v) for v in filled)
    if not n:
        return 0, 0
    ranks = ((n + 1) // 2 - 1, (9 * n + 9) // 10 - 1)
    if len(filled) == 1:
        return int(filled[0][ranks[0]]), int(filled[0][ranks[1]])
    chosen = np.concatenate(filled)
    chosen.partition(ranks)  # in place: np.partition would copy the concatenation again
    return int(chosen[ranks[0]]), int(chosen[ranks[1]])


def _lists(table: pa.Table, name: str) -> list[Values]:
    """Each row's array of the list column ``name``, as views of one numpy array."""
    column = table.column(name).combine_chunks()
    offsets = column.offsets.to_numpy()
    values = column.values.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return [values[offsets[i] : offsets[i + 1]] for i in range(len(column))]


def _sorted(arrays: list[Values]) -> Values:
    if not arrays:
        return _NONE
    if len(arrays) == 1:
        return np.sort(arrays[0])  # a copy: the view of a statement's column is not ours
    joined = np.concatenate(arrays)
    joined.sort()
    return joined
