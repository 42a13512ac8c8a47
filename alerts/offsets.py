"""Which offsets of ``alerts.notifications`` may be committed: only a done prefix.

Notifications of a partition finish out of order (one waits on a retry, the next is delivered at
once). A partition commits up to its oldest notification still in flight, never past it, so a
crash re-delivers every notification that had not reached a final outcome on all its
destinations, and no other.
"""

from __future__ import annotations


class OffsetTracker:
    def __init__(self) -> None:
        self._pending: dict[int, set[int]] = {}
        self._next: dict[int, int] = {}  # past the highest offset started, per partition
        self._committed: dict[int, int] = {}

    def started(self, partition: int, offset: int) -> None:
        self._pending.setdefault(partition, set()).add(offset)
        self._next[partition] = max(self._next.get(partition, 0), offset + 1)

    def finished(self, partition: int, offset: int) -> None:
        pending = self._pending.get(partition)
        if pending is not None:
            pending.discard(offset)

    def in_flight(self) -> int:
        return sum(len(p) for p in self._pending.values())

    def committable(self) -> dict[int, int]:
        """Partition → the offset to commit (the next to read), where it moved since the last."""
        moved = {}
        for partition, end in self._next.items():
            pending = self._pending.get(partition)
            position = min(pending) if pending else end
            if position > self._committed.get(partition, -1):
                moved[partition] = position
        return moved

    def mark_committed(self, positions: dict[int, int]) -> None:
        self._committed.update(positions)

    def forget(self, partitions: list[int]) -> None:
        """Partitions this consumer lost: their late finishes no longer count."""
        for partition in partitions:
            self._pending.pop(partition, None)
            self._next.pop(partition, None)
            self._committed.pop(partition, None)

    def owns(self, partition: int) -> bool:
        return partition in self._next
