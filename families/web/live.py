"""Active visitors: a live set in Redis kept by the sink, and the same figure from ClickHouse.

After each batch the sink's hook adds the batch's non-dnt visitors to the tenant's sorted set,
scored by their latest event time (a score only rises), trims members not seen within the
window and sets the key to expire a window after the write, so an idle tenant's set disappears
by itself. The API answers from the set when asked about now (``asOf`` within
:data:`LIVE_SLACK_MS` of the clock) and the set exists; any other instant, or a set that is
gone, is answered from ``web_sessions`` with the same definition: distinct non-dnt visitors with
an event in ``(asOf - 5 min, asOf]``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pulse.families.web.derived import WEB_EVENTS
from pulse.families.web.model import ACTIVE_WINDOW_MS, ActiveVisitors
from pulse.graphql.queries import Reader
from pulse.graphql.realtime import RealtimeReader
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache

# How far from the clock an asOf still reads the live set (a dashboard's own clock skew).
LIVE_SLACK_MS = 10_000

# Duplicated rows (before a merge) do not change a distinct count, so no FINAL.
_ACTIVE_SQL = """
SELECT uniqExact(visitor_key) AS active
FROM web_sessions
WHERE tenant_id = {tenant_id:String}
  AND t > fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
  AND t <= fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
"""


class WebRealtime:
    """The sink's hook: the batch's recent non-dnt visitors into each tenant's live set."""

    name = "web"

    def cache(
        self,
        db: ClickHouse,
        store: RealtimeCache,
        raw: Mapping[str, Sequence[Any]],
        now_ms: int,
    ) -> int:
        """Mark the batch's visitors seen within the window; how many visitors were sent."""
        if "visitor_id" not in raw:
            return 0
        latest: dict[str, dict[str, int]] = defaultdict(dict)
        dnt = raw.get("dnt") or [None] * len(raw["tenant_id"])
        for tenant, kind, visitor, at, hidden in zip(
            raw["tenant_id"],
            raw["event_type"],
            raw["visitor_id"],
            raw["occurred_at"],
            dnt,
            strict=True,
        ):
            recent = int(at) > now_ms - ACTIVE_WINDOW_MS
            if kind in WEB_EVENTS and visitor and not hidden and recent:
                seen = latest[tenant]
                seen[visitor] = max(int(at), seen.get(visitor, 0))
        for tenant, seen in latest.items():
            store.mark_active(tenant, seen, now_ms, ACTIVE_WINDOW_MS)
        return sum(len(seen) for seen in latest.values())


def active_visitors(
    db: Reader, live: RealtimeReader, tenant_id: str, as_of_ms: int, now_ms: int
) -> ActiveVisitors:
    """Active visitors at ``as_of_ms``: the live set when asked about now and it exists."""
    from_ms = as_of_ms - ACTIVE_WINDOW_MS
    if abs(now_ms - as_of_ms) <= LIVE_SLACK_MS:
        cached = live.active_visitors(tenant_id, from_ms, as_of_ms)
        if cached is not None:
            return ActiveVisitors(cached, "redis")
    return ActiveVisitors(stored_active_visitors(db, tenant_id, as_of_ms), "clickhouse")


def stored_active_visitors(db: Reader, tenant_id: str, as_of_ms: int) -> int:
    """Active visitors at ``as_of_ms`` from ``web_sessions`` (any instant, past ones too)."""
    params = {"tenant_id": tenant_id, "from_ms": as_of_ms - ACTIVE_WINDOW_MS, "to_ms": as_of_ms}
    rows = db.query(_ACTIVE_SQL, params)
    return int(rows[0]["active"]) if rows else 0


WEB_REALTIME = WebRealtime()
