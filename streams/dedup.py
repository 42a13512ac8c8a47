"""Deduplication: the first valid occurrence of ``(tenant_id, event_id)`` counts, once.

The ``seen`` table holds *segments*, not single keys: one entry per batch (split past
:data:`SEGMENT_KEYS`), keyed ``"topic:partition:offset:n"`` after its first event, valued
``[first_seen_ms, partition, [[tenant_id, event_id], …]]``. Every table write is a changelog
record that the transaction carries and a restart replays, so one record per batch instead of
one per event is what keeps dedup off the per-event cost. :class:`SeenIndex` is the in-memory
set of the segments' keys; it is rebuilt from the table whenever the consumer generation
changes, since a rebalance is when Faust recovers tables from their changelogs.

Segments are kept for ``dedup_horizon_seconds`` (30 days by default) after their batch, then
purged whole, so a copy arriving later than that counts again. Only accepted events are
remembered: a rejected message can be resent corrected with the same id.

The table is partitioned like its source, so dedup assumes a given event always arrives with
the same key (routing derives the key from the event, so it does). Raising a topic's partition
count moves keys to other partitions and would let old copies through: repartitioning needs
an ops procedure (rebuild the table), which is not written yet.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulse.streams.source import SourceRecord

SEGMENT_KEYS = 2000  # ~130 kB per changelog record, well under the broker's 1 MiB limit


# (tenant_id, event_id); stored in segments as a two-item JSON array.
SeenKey = tuple[str, str]


class SeenIndex:
    """The event keys of all segments of the ``seen`` table, for membership tests."""

    def __init__(self) -> None:
        self._keys: set[SeenKey] = set()
        self._generation: int | None = None

    def sync(self, segments: Mapping[str, Any], generation: int) -> None:
        """Rebuilds the index from the table once per consumer generation."""
        if generation == self._generation:
            return
        self._keys = {(t, e) for segment in segments.values() for t, e in segment[2]}
        self._generation = generation

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, keys: Iterable[SeenKey]) -> None:
        self._keys.update(keys)

    def discard(self, keys: Iterable[Sequence[str]]) -> None:
        self._keys.difference_update((t, e) for t, e in keys)


class BatchDedup:
    """Decides first occurrences within a batch, against the index and the batch itself."""

    def __init__(self, seen: Container[SeenKey]) -> None:
        self._seen = seen
        self._new: set[SeenKey] = set()
        self.new: list[SeenKey] = []

    def first_time(self, tenant_id: str, event_id: str) -> bool:
        """True once per key: marks it seen when it is new."""
        key = (tenant_id, event_id)
        if key in self._new or key in self._seen:
            return False
        self._new.add(key)
        self.new.append(key)
        return True


def segments(
    keys: list[SeenKey], first: SourceRecord, now_ms: int
) -> Iterator[tuple[str, list[Any]]]:
    """The ``seen`` entries recording ``keys``, whose first event came from ``first``.

    Named after the first *new* event's offset, which no other segment can share: a batch that
    is fetched again starts at the same offset, but its first new event is a later one.
    """
    for n, start in enumerate(range(0, len(keys), SEGMENT_KEYS)):
        chunk = keys[start : start + SEGMENT_KEYS]
        yield f"{first.slice}:{first.offset}:{n}", [now_ms, first.partition, chunk]


def expired(
    entries: Iterable[tuple[Any, Any]], now_ms: int, horizon_ms: int, partitions: set[int]
) -> list[tuple[str, int]]:
    """``(key, partition)`` of segments older than the horizon in partitions we own."""
    cutoff = now_ms - horizon_ms
    out: list[tuple[str, int]] = []
    for key, value in entries:
        first_seen, partition = value[0], value[1]
        if first_seen < cutoff and partition in partitions:
            out.append((key, partition))
    return out
