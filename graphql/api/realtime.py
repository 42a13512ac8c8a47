"""The current hour's counters: Redis first, ClickHouse's hour rows when Redis has nothing.

The ClickHouse fallback is a FINAL aggregate, so its answer is kept for a short while per tenant
and hour: dashboards poll this field, and the figure only needs to be as fresh as the sink is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pulse.graphql.queries import Reader, current_hour_by_channel

FALLBACK_TTL_SECONDS = 60.0


class RealtimeStore(Protocol):
    """The part of ``pulse.sinks.realtime.RealtimeCache`` the API reads."""

    def read_current_hour(self, tenant_id: str, now_ms: int) -> dict[str, dict[str, int]]: ...

    def ping(self) -> bool: ...


@dataclass(frozen=True)
class Snapshot:
    source: str  # "redis" or "clickhouse"
    channels: dict[str, dict[str, int]]


class RealtimeReader:
    """Reads the current hour for a tenant; thread-safe (resolvers run in a thread pool)."""

    def __init__(
        self,
        store: RealtimeStore,
        db: Reader,
        ttl_seconds: float = FALLBACK_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._db = db
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._fallbacks: dict[str, tuple[float, int, Snapshot]] = {}

    def current_hour(self, tenant_id: str, now_ms: int) -> Snapshot:
        channels = self._store.read_current_hour(tenant_id, now_ms)
        if channels:
            return Snapshot(source="redis", channels=channels)
        hour = now_ms // 3_600_000
        with self._lock:
            cached = self._fallbacks.get(tenant_id)
            if cached is not None and cached[0] > self._clock() and cached[1] == hour:
                return cached[2]
        snapshot = Snapshot("clickhouse", current_hour_by_channel(self._db, tenant_id, now_ms))
        with self._lock:
            self._fallbacks[tenant_id] = (self._clock() + self._ttl, hour, snapshot)
        return snapshot
