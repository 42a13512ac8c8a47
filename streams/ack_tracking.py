"""Repairs Faust's acknowledged-offset bookkeeping, which loses or stalls offsets after a rebalance.

Faust commits, per partition, the end of the first run of consecutive acknowledged offsets, and
treats a "gap" it registered (offsets it believes it will never see, as with transaction
markers) as acknowledged. Around a rebalance it loses track of its read position: measured here,
it registers a gap over offsets it then drops, or delivers and acknowledges them a second time.

- Dropped offsets inside a gap were committed over: events lost (the crash test caught one
  ``message.sent`` missing from its hour bucket).
- Offsets acknowledged twice (``1704, 1704, 1705, 1705, …``) made every run one offset long,
  so each commit moved forward by one: thousands of messages of false lag for minutes.

:func:`install` replaces the consumer's ``_new_offset``: it commits the first run of the *set* of
acknowledged offsets and never steps over a gap. Our producers are not transactional, so an
input topic carries no markers and a gap is only ever Faust's lost position; its offsets stay
holes, and the partition is sought back to its committed offset so they are fetched again
(deduplication skips what was already processed; counter and FRT rows are versioned by the
number of events folded in, so the order of a replay cannot roll a total back). Static group
membership (``consumer_group_instance_id`` in :mod:`pulse.streams.app`) keeps restarts from
causing the rebalances where this happens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import structlog

log = structlog.get_logger(__name__)
# Keeps the seek tasks referenced until they finish (asyncio holds only weak references).
_refetches: set[asyncio.Future[Any]] = set()


def first_run(offsets: Iterable[int]) -> list[int]:
    """The leading run of consecutive numbers of sorted, distinct ``offsets``."""
    run: list[int] = []
    for offset in offsets:
        if run and offset != run[-1] + 1:
            break
        run.append(offset)
    return run


def next_commit(acked: Iterable[int], committed: int | None) -> tuple[int | None, list[int]]:
    """The offset to commit, and the acknowledged offsets left for a later commit."""
    pending = set(acked)
    if committed is not None:
        pending = {o for o in pending if o >= committed}
    ordered = sorted(pending)
    if not ordered or (committed is not None and ordered[0] != committed):
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
        if gap_tree:
            gaps = sorted((iv.begin, iv.end) for iv in gap_tree)
            log.warning(
                "input_gap_not_committed", topic=tp.topic, partition=tp.partition, gaps=gaps
            )
            gap_tree.clear()
            committed = consumer._committed_offset[tp]
            if committed is not None:
                refetch = asyncio.ensure_future(consumer.seek(tp, committed))
                _refetches.add(refetch)
                refetch.add_done_callback(_refetches.discard)
        offset, rest = next_commit(acked, consumer._committed_offset[tp])
        if offset is not None:
            consumer._acked_index[tp].difference_update(range(min(acked), offset))
        acked[:] = rest
        return offset

    # Faust offers no hook for this; the consumer's method is the seam (as for CommitGate).
    consumer._new_offset = new_offset
    consumer._pulse_ack_repair = True
