"""What ``campaign.started`` / ``campaign.completed`` events say: how many campaigns started and
completed in a range, and a campaign's name.

Read from ``events_raw``, whose sorting key's prefix ``(tenant_id, event_type, occurred_at)``
makes both a small range read, so no derived table. Without ``FINAL``: copies of one
``(tenant, event)`` not yet merged away are identical rows, and a distinct count or an
``argMax`` is the same over one copy or several (skipping the merge halves the read).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pulse.graphql.queries import Reader

_COUNTS_SQL = """
SELECT uniqExactIf(campaign_id, event_type = 'campaign.started') AS started,
       uniqExactIf(campaign_id, event_type = 'campaign.completed') AS completed
FROM events_raw
WHERE tenant_id = {tenant_id:String}
  AND event_type IN ('campaign.started', 'campaign.completed')
  AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
  AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"""

# The latest (occurred_at, event_id) ``campaign.started`` carrying a name, up to the range's end.
_NAMES_SQL = """
SELECT campaign_id, argMax(name, (occurred_at, event_id)) AS latest_name
FROM events_raw
WHERE tenant_id = {tenant_id:String}
  AND event_type = 'campaign.started'
  AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
  AND name != ''
  AND campaign_id IN {ids:Array(String)}
GROUP BY campaign_id
"""


@dataclass(frozen=True)
class CampaignCounts:
    """Distinct campaigns with a ``campaign.started`` / ``campaign.completed`` in the range."""

    started: int
    completed: int


def campaign_counts(
    db: Reader, tenant_id: str, from_ms: int, to_ms: int, channel: str | None
) -> CampaignCounts:
    """Distinct campaign ids started and completed in ``[from_ms, to_ms)``; under ``channel``,
    only the events carrying that channel."""
    sql = _COUNTS_SQL + (" AND channel = {channel:String}" if channel is not None else "")
    params: dict[str, Any] = {"tenant_id": tenant_id, "from_ms": from_ms, "to_ms": to_ms}
    if channel is not None:
        params["channel"] = channel
    rows = db.query(sql, params)
    row = rows[0] if rows else {"started": 0, "completed": 0}
    return CampaignCounts(started=int(row["started"]), completed=int(row["completed"]))


def campaign_names(db: Reader, tenant_id: str, ids: Collection[str], to_ms: int) -> dict[str, str]:
    """The name of each of ``ids`` that a ``campaign.started`` before ``to_ms`` carried (the
    latest such start's); campaigns never named are absent."""
    if not ids:
        return {}
    params = {"tenant_id": tenant_id, "to_ms": to_ms, "ids": sorted(ids)}
    return {str(r["campaign_id"]): str(r["latest_name"]) for r in db.query(_NAMES_SQL, params)}
