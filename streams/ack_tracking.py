"""Repairs Faust's acknowledged-offset bookkeeping so commits keep up after a restart.

Faust commits, per partition, the end of the first run of consecutive acknowledged offsets.
After a rebalance it may register a "gap" (offsets it believes it will never see, as with
transaction markers) and then receive and acknowledge those very offsets when the partition is
replayed. Its list then holds each offset twice (``1704, 1704, 1705, 1705, …``), every run is one
offset long, and each commit moves the partition forward by a single offset: measured here, a
worker that had processed everything showed thousands of messages of lag for minutes.

:func:`install` replaces the consumer's ``_new_offset`` with the same rule applied to the *set*
of acknowledged offsets. Only duplicates are dropped, so it never commits past an offset that
was neither acknowledged nor a registered gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def first_run(offsets: Iterable[int]) -> list[int]:
    """The leading run of consecutive numbers of sorted, distinct ``offsets``."""
    run: list[int] = []
    for offset in offsets:
        if run and offset != run[-1] + 1:
            break
        run.append(offset)
    return run


def next_commit(
    acked: list[int], gaps: list[tuple[int, int]], committed: int | None
) -> tuple[int | None, list[int]]:
    """The offset to commit and the acknowledged offsets left for later.

    ``gaps`` are half-open ranges of offsets that will never arrive (already chopped to the
    acknowledged maximum by the caller); ``committed`` is the partition's committed offset.
    """
    pending = set(acked)
    for begin, end in gaps:
        pending.update(range(begin, end))
    if committed is not None:
        pending = {o for o in pending if o >= committed}
    ordered = sorted(pending)
    if not ordered:
        return None, []
    if committed and ordered[0] - committed > 1:
        return None, ordered
    run = first_run(ordered)
    return run[-1] + 1, ordered[len(run) :]


def install(consumer: Any) -> None:
    """Makes a started Faust consumer compute commit offsets with :func:`next_commit` (once)."""
    if getattr(consumer, "_pulse_ack_repair", False):
        return

    def new_offset(tp: Any) -> int | None:
        acked: list[int] = consumer._acked[tp]
        if not acked:
            return None
        gap_tree = consumer._gap[tp]
        top = max(acked)
        gaps = [(iv.begin, iv.end) for iv in gap_tree.overlap(0, top)] if gap_tree else []
        if gaps:
            gap_tree.chop(0, max(max(end for _, end in gaps), top + 1))
        offset, rest = next_commit(acked, gaps, consumer._committed_offset[tp])
        if offset is not None:
            consumer._acked_index[tp].difference_update(range(min(acked, default=offset), offset))
        acked[:] = rest
        return offset

    # Faust offers no hook for this either; the consumer's method is the seam (see CommitGate).
    consumer._new_offset = new_offset
    consumer._pulse_ack_repair = True
