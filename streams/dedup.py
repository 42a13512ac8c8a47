"""Deduplication: the first valid occurrence of ``(tenant_id, event_id)`` counts, once.

The ``seen`` table maps the key to ``[first_seen_ms, partition]`` (wall clock). Entries are kept
for ``dedup_horizon_seconds`` (30 days by default) and then purged, so a copy arriving later
than that counts again. Only accepted events are remembered: a rejected message can be resent
corrected with the same id.

The table is partitioned like its source, so dedup assumes a given event always arrives with
the same key (routing derives the key from the event, so it does). Raising a topic's partition
count moves keys to other partitions and would let old copies through: repartitioning needs
an ops procedure (rebuild the table), which is not written yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pulse.streams.state import Lookup


def seen_key(tenant_id: str, event_id: str) -> str:
    """The ``seen`` table key (JSON, so a tenant id containing "|" cannot collide)."""
    return json.dumps([tenant_id, event_id], separators=(",", ":"))


class BatchDedup:
    """Decides first occurrences within a batch, against the table and the batch itself."""

    def __init__(self, seen: Lookup[list[int]], now_ms: int, partition: int) -> None:
        self._seen = seen
        self._value = [now_ms, partition]
        self.new: dict[str, list[int]] = {}

    def first_time(self, tenant_id: str, event_id: str) -> bool:
        """True once per key: marks it seen when it is new."""
        key = seen_key(tenant_id, event_id)
        if key in self.new or self._seen.get(key) is not None:
            return False
        self.new[key] = self._value
        return True


def expired(
    entries: Iterable[tuple[Any, Any]], now_ms: int, horizon_ms: int, partitions: set[int]
) -> list[tuple[str, int]]:
    """``(key, partition)`` of entries older than the horizon in partitions we own."""
    cutoff = now_ms - horizon_ms
    out: list[tuple[str, int]] = []
    for key, value in entries:
        first_seen, partition = value
        if first_seen < cutoff and partition in partitions:
            out.append((key, partition))
    return out
