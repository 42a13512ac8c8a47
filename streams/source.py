"""Where a message came from: the coordinates every row and dead letter carries."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A consumed message's topic, partition, offset and broker timestamp (ms)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int

    @property
    def slice(self) -> str:
        """The counter/FRT slice this partition owns: ``"topic:partition"``."""
        return f"{self.topic}:{self.partition}"
