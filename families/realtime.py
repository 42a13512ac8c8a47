"""A family's realtime hook: after a batch's derivations ran, copy recent figures to Redis.

The sink calls each hook of ``pulse.families.registry.REALTIME`` with the batch's raw rows; a
hook reads back what the refresh stored and writes it to the cache. Redis errors are the
sink's to log (the cache is a copy); ClickHouse errors are not caught.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache


class RealtimeHook(Protocol):
    name: str

    def cache(
        self,
        db: ClickHouse,
        store: RealtimeCache,
        raw: Mapping[str, Sequence[Any]],
        now_ms: int,
    ) -> int:
        """Cache the recent figures ``raw`` (``events_raw`` rows column by column) touched;
        how many entries were written."""
        ...
