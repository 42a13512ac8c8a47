"""The messaging family's realtime part: recent slots cached by the sink, the current hour read.

After a refresh the sink caches the slots of its batch that started within the last
:data:`WINDOW_MS` (read back from ``messaging_slots``, with their version) in Redis; the API
sums the slots of the tenant's current local hour, taking from ClickHouse the slots Redis does
not hold (an expired hash, a failed write, or a slot without events).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pulse.families.grid import grid
from pulse.families.messaging.derived import MESSAGING_SLOTS
from pulse.families.messaging.model import SLOT_MS, MessagingCounts
from pulse.families.messaging.query import tenants_slot_channels
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache, SlotChannel

# Long enough for any slot of a current local hour (an hour starts at most 45 minutes before its
# last slot) with room for a sink running behind.
WINDOW_MS = 2 * 3_600_000
_HOUR_MS = 3_600_000


class MessagingRealtime:
    """The sink's hook: cache the recent slots a batch's raw rows touched."""

    name = "messaging"

    def cache(
        self,
        db: ClickHouse,
        store: RealtimeCache,
        raw: Mapping[str, Sequence[Any]],
        now_ms: int,
    ) -> int:
        """Copy the stored counts of the recent slots touched by ``raw`` to Redis; how many
        (slot, channel) entries were sent."""
        recent: dict[str, list[int]] = defaultdict(list)
        for tenant, slot_ms in MESSAGING_SLOTS.touched(raw):
            if now_ms - WINDOW_MS < slot_ms <= now_ms:
                recent[tenant].append(slot_ms)
        rows = [
            SlotChannel(
                tenant_id=str(row["tenant_id"]),
                slot_ms=int(row["slot_ms"]),
                channel=str(row["channel"]),
                version=int(row["version"]),
                counts=MessagingCounts.of(row),
            )
            for row in tenants_slot_channels(db, recent)
        ]
        return store.write_slots(rows)


def current_hour(zone: str, now_ms: int) -> tuple[int, int]:
    """The local hour of ``zone`` holding ``now_ms``: its ``(start_ms, end_ms)`` in UTC."""
    hours = grid(now_ms - 2 * _HOUR_MS, now_ms + 1, "hour", zone, 4)
    hour = [b for b in hours if b.start_ms <= now_ms][-1]
    return hour.start_ms, hour.end_ms


def slots_until(start_ms: int, now_ms: int) -> list[int]:
    """The slots starting in ``[start_ms, now_ms]``."""
    first = start_ms - start_ms % SLOT_MS
    return list(range(first, now_ms + 1, SLOT_MS))


MESSAGING_REALTIME = MessagingRealtime()
