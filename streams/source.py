"""Where a message came from: the coordinates every row and dead letter carries."""

from __future__ import annotations

from typing import NamedTuple


class SourceRecord(NamedTuple):
    """A consumed message's topic, partition, offset and broker timestamp (ms).

    A named tuple, not a dataclass: one is built per event, and a tuple is the cheapest record.
    """

    topic: str
    partition: int
    offset: int
    timestamp_ms: int

    @property
    def slice(self) -> str:
        """``"topic:partition"``, the prefix of the dedup segments this partition writes."""
        return f"{self.topic}:{self.partition}"
