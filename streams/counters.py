"""Messaging counter slices: absolute totals per (tenant, granularity, bucket, channel, slice).

A slice is owned by one source partition and versioned by the number of events folded into it.
Counts only grow, so whatever order or batches a replay takes, the most complete total has the
highest version and the sink's ``ReplacingMergeTree(version)`` keeps it (ARCHITECTURE.md).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulse.messaging import COUNTERS as COUNTER_FIELDS
from pulse.streams.buckets import slot_bounds, slot_of
from pulse.streams.state import Lookup

_INDEX = {f"message.{name}": i for i, name in enumerate(COUNTER_FIELDS)}


def counter_index(event_type: str) -> int | None:
    """Which of the eight counters an event type increments, or None."""
    return _INDEX.get(event_type)


@dataclass(slots=True)
class CounterSlice:
    """The totals of one slice, stored in the table as ``[*counts, version, bucket_end]``."""

    counts: list[int]
    version: int
    bucket_end: int

    @classmethod
    def empty(cls, bucket_end: int) -> CounterSlice:
        return cls([0] * len(COUNTER_FIELDS), 0, bucket_end)

    @classmethod
    def from_state(cls, state: list[int]) -> CounterSlice:
        n = len(COUNTER_FIELDS)
        return cls(list(state[:n]), state[n], state[n + 1])

    def to_state(self) -> list[int]:
        return [*self.counts, self.version, self.bucket_end]


# (tenant, granularity, bucket start, channel, slice): a slice while a batch folds events into it.
SliceId = tuple[str, str, int, str, str]


def slice_key(slice_id: SliceId) -> str:
    """The table key of a slice: a JSON array, so no field value can collide with a separator."""
    return json.dumps(slice_id, separators=(",", ":"))


def fold_counters(
    events: Iterable[tuple[Mapping[str, Any], str]],
    tz_of: Callable[[str], str],
    state: Lookup[list[int]],
    changed: dict[SliceId, CounterSlice],
) -> None:
    """Adds messaging events (each with its slice) to their four buckets' slices in ``changed``.

    Events are first tallied by (tenant, channel, slice, 15-minute slot, counter): every event
    of a slot falls in the same four buckets, so the buckets are looked up per tally, not per
    event. Counts and versions are sums, so the order of folding does not matter.
    """
    tally: Counter[tuple[str, str, str, int, int]] = Counter()
    for event, slice_ in events:
        index = _INDEX.get(event["event_type"])
        if index is not None:
            channel = event.get("channel") or ""
            tally[event["tenant_id"], channel, slice_, slot_of(event["occurred_at"]), index] += 1
    for (tenant, channel, slice_, slot, index), n in tally.items():
        for granularity, (start, end) in slot_bounds(tz_of(tenant), slot).items():
            slice_id = (tenant, granularity, start, channel, slice_)
            current = changed.get(slice_id)
            if current is None:
                # The table is read (and its key encoded) once per slice and batch.
                stored = state.get(slice_key(slice_id))
                current = CounterSlice.from_state(stored) if stored else CounterSlice.empty(end)
                changed[slice_id] = current
            current.counts[index] += n
            current.version += n


def counter_row(slice_id: SliceId, value: CounterSlice) -> dict[str, Any]:
    """The ``messaging_counters`` row of a slice."""
    tenant, granularity, start, channel, slice_ = slice_id
    row: dict[str, Any] = {
        "tenant_id": tenant,
        "granularity": granularity,
        "bucket_start": start,
        "bucket_end": value.bucket_end,
        "channel": channel,
        "slice": slice_,
        "version": value.version,
    }
    row.update(zip(COUNTER_FIELDS, value.counts, strict=True))
    return row
