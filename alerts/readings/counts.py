"""Events of some types over one window of one tenant, counted straight from ``events_raw``.

``events_raw`` is ordered by ``(tenant_id, event_type, occurred_at, …)``, so "this tenant, these
types, ``[start, end)``" is a primary-key range read whatever the window's length; ``FINAL``
collapses an event stored twice into one row, as the families' counts do. The counts are grouped
by the family's filter columns in SQL and filtered here: every rule of a tenant over the same
window asks the very same statement, which the evaluator reads once per pass
(:class:`pulse.alerts.pass_memo.PassMemo`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pulse.sinks.clickhouse import ClickHouse, identifier

_SQL = """
SELECT toString(event_type) AS event_type{columns}, toInt64(count()) AS n
FROM events_raw FINAL
WHERE tenant_id = {{tenant_id:String}} AND event_type IN {{types:Array(String)}}
  AND occurred_at >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC')
  AND occurred_at < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')
GROUP BY event_type{grouped}
"""


def type_counts(
    db: ClickHouse,
    tenant_id: str,
    event_types: Sequence[str],
    columns: Sequence[str],
    filters: Mapping[str, str],
    start_ms: int,
    end_ms: int,
) -> dict[str, int]:
    """How many events of each of ``event_types`` (absent: none) in ``[start_ms, end_ms)``
    carry ``filters``, whose keys are among ``columns`` (named by code)."""
    names = [identifier(c) for c in columns]
    sql = _SQL.format(
        columns="".join(f", toString({c}) AS {c}" for c in names),
        grouped="".join(f", {c}" for c in names),
    )
    params = {
        "tenant_id": tenant_id,
        "types": list(event_types),
        "from_ms": start_ms,
        "to_ms": end_ms,
    }
    counts: dict[str, int] = {}
    for row in db.query(sql, params):
        if all(row[c] == value for c, value in filters.items()):
            kind = str(row["event_type"])
            counts[kind] = counts.get(kind, 0) + int(row["n"])
    return counts
