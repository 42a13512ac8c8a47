"""The current local hour's messaging counts: Redis's slots, ClickHouse's for the others.

The sink caches recent 15-minute slots per tenant (``pulse.sinks.realtime``); the hour of a
tenant's zone is a run of whole slots, so the reader asks Redis for the slots of the hour that
have started and reads the missing ones from ``messaging_slots``. That fallback is a FINAL read,
so its answer is kept for a short while per tenant and set of slots: dashboards poll this field,
and a slot Redis lacks is one without new events (or one whose write failed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pulse.families.messaging.live import current_hour, slots_until
from pulse.families.messaging.model import MessagingCounts
from pulse.families.messaging.query import slot_channels
from pulse.families.newest import stored_newest_event
from pulse.graphql.queries import Reader

FALLBACK_TTL_SECONDS = 60.0

Slots = dict[int, dict[str, MessagingCounts]]


class RealtimeStore(Protocol):
    """The part of ``pulse.sinks.realtime.RealtimeCache`` the API reads."""

    def read_slots(self, tenant_id: str, slots: Sequence[int]) -> Slots: ...

    def count_active(self, tenant_id: str, from_ms: int, to_ms: int) -> int | None: ...

    def newest_event(self, tenant_id: str) -> int | None: ...

    def ping(self) -> bool: ...


@dataclass(frozen=True)
class Snapshot:
    source: str  # "redis" or "clickhouse"
    channels: dict[str, MessagingCounts]


class RealtimeReader:
    """Reads a tenant's current hour; thread-safe (resolvers run in a thread pool)."""

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
        self._fallbacks: dict[tuple[str, tuple[int, ...]], tuple[float, Slots]] = {}

    def active_visitors(self, tenant_id: str, from_ms: int, to_ms: int) -> int | None:
        """The web family's live set: visitors last seen in ``(from_ms, to_ms]``, or None."""
        return self._store.count_active(tenant_id, from_ms, to_ms)

    def newest_event(self, tenant_id: str) -> int | None:
        """The newest event time stored for the tenant: the sink's in Redis, else ClickHouse's
        (a tenant Redis does not know yet, or a Redis that lost it)."""
        return self._store.newest_event(tenant_id) or stored_newest_event(self._db, tenant_id)

    def current_hour(self, tenant_id: str, zone: str, now_ms: int) -> Snapshot:
        """The counts by channel of the local hour of ``zone`` holding ``now_ms``."""
        start_ms, _ = current_hour(zone, now_ms)
        slots = slots_until(start_ms, now_ms)
        cached = self._store.read_slots(tenant_id, slots)
        missing = tuple(s for s in slots if s not in cached)
        stored = self._fallback(tenant_id, missing) if missing else {}
        channels: dict[str, MessagingCounts] = {}
        for by_channel in (*cached.values(), *stored.values()):
            for channel, counts in by_channel.items():
                channels[channel] = channels.get(channel, MessagingCounts()) + counts
        source = "redis" if cached and not any(stored.values()) else "clickhouse"
        return Snapshot(source=source, channels=channels)

    def _fallback(self, tenant_id: str, slots: tuple[int, ...]) -> Slots:
        key = (tenant_id, slots)
        with self._lock:
            kept = self._fallbacks.get(key)
            if kept is not None and kept[0] > self._clock():
                return kept[1]
        found: Slots = {}
        for row in slot_channels(self._db, tenant_id, slots):
            found.setdefault(int(row["slot_ms"]), {})[str(row["channel"])] = MessagingCounts.of(row)
        with self._lock:
            # Only the tenant's latest set of slots is worth keeping: the hour moves on.
            self._fallbacks = {k: v for k, v in self._fallbacks.items() if k[0] != tenant_id}
            self._fallbacks[key] = (self._clock() + self._ttl, found)
        return found
