"""Events of some types over one window of one tenant, counted straight from ``events_raw``.

``events_raw`` is ordered by ``(tenant_id, event_type, occurred_at, …)``, so "this tenant, these
types, ``[start, end)``" is a primary-key range read whatever the window's length; ``FINAL``
collapses an event stored twice into one row, as the families' counts do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pulse.families.outreach.flows_counts import where_filters
from pulse.sinks.clickhouse import ClickHouse

_SQL = """
SELECT toString(event_type) AS event_type, toInt64(count()) AS n
FROM events_raw FINAL
WHERE tenant_id = {tenant_id:String} AND event_type IN {types:Array(String)}
  AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
  AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
  {filters}
GROUP BY event_type
"""


def type_counts(
    db: ClickHouse,
    tenant_id: str,
    event_types: Sequence[str],
    filters: Mapping[str, str],
    start_ms: int,
    end_ms: int,
) -> dict[str, int]:
    """How many events of each of ``event_types`` (absent: none) carry ``filters`` (columns
    named by code, values bound) in ``[start_ms, end_ms)``."""
    params = {
        "tenant_id": tenant_id,
        "types": list(event_types),
        "from_ms": start_ms,
        "to_ms": end_ms,
        **{f"f_{column}": value for column, value in filters.items()},
    }
    sql = _SQL.replace("{filters}", where_filters(filters))
    return {str(row["event_type"]): int(row["n"]) for row in db.query(sql, params)}
