"""The newest event stored per tenant: kept in Redis by the sink, read from ClickHouse without it.

The sink's hook raises each tenant's score in ``pulse:rt:newest`` to the newest ``occurred_at``
of every batch (``pulse.sinks.realtime``); the API reads it in one ZSCORE. The ClickHouse read
is the fallback, a ``max`` over the tenant's range of ``events_raw``'s primary key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulse.graphql.queries import Reader
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache

# Duplicates before a merge do not change a max, so no FINAL.
_NEWEST_SQL = """
SELECT toUnixTimestamp64Milli(max(occurred_at)) AS newest, count() AS events
FROM events_raw
WHERE tenant_id = {tenant_id:String}
"""


class NewestEvents:
    """The sink's hook: each tenant's newest event time of the batch into Redis."""

    name = "newest"

    def cache(
        self,
        db: ClickHouse,
        store: RealtimeCache,
        raw: Mapping[str, Sequence[Any]],
        now_ms: int,
    ) -> int:
        newest: dict[str, int] = {}
        for tenant, at in zip(raw["tenant_id"], raw["occurred_at"], strict=True):
            newest[tenant] = max(int(at), newest.get(tenant, int(at)))
        store.mark_newest(newest)
        return len(newest)


def stored_newest_event(db: Reader, tenant_id: str) -> int | None:
    """The newest ``occurred_at`` (ms) in ``events_raw`` for the tenant; None without events."""
    rows = db.query(_NEWEST_SQL, {"tenant_id": tenant_id})
    if not rows or not int(rows[0]["events"]):
        return None
    return int(rows[0]["newest"])


NEWEST_EVENTS = NewestEvents()
