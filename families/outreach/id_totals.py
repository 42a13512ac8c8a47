"""The messaging counts of every campaign (or template) over a range, from ``messaging_slots``.

The same slots and counts as ``messagingMetrics(campaign: …)`` (METRICS.md §4: the event's own
``campaign_id`` / ``template_id``), grouped by that id once for the whole range, so a ranking
reads one row per slot and dimension combination, never raw events. Events without the id
(``""`` in the slots) belong to no campaign or template and are left out.
"""

from __future__ import annotations

from typing import Any, Literal

from pulse.families.messaging.model import COUNTS, MessagingCounts
from pulse.graphql.queries import Reader

IdColumn = Literal["campaign_id", "template_id"]

_SQL = """
SELECT {column} AS id, {sums}
FROM messaging_slots FINAL
WHERE tenant_id = {{tenant_id:String}}
  AND slot >= toDateTime(intDiv({{from_ms:Int64}}, 1000), 'UTC')
  AND slot < toDateTime(intDiv({{to_ms:Int64}}, 1000), 'UTC')
  AND {column} != ''{filters}
GROUP BY {column}
"""
_SUMS = ", ".join(f"toInt64(sum({c})) AS {c}" for c in COUNTS)


def totals_by_id(
    db: Reader,
    column: IdColumn,
    tenant_id: str,
    from_ms: int,
    to_ms: int,
    channel: str | None,
) -> dict[str, MessagingCounts]:
    """Per non-empty ``column`` value: the counts of ``[from_ms, to_ms)`` (slot-aligned), of
    ``channel`` only when one is given."""
    filters = " AND channel = {channel:String}" if channel is not None else ""
    sql = _SQL.format(column=column, sums=_SUMS, filters=filters)
    params: dict[str, Any] = {"tenant_id": tenant_id, "from_ms": from_ms, "to_ms": to_ms}
    if channel is not None:
        params["channel"] = channel
    return {str(row["id"]): MessagingCounts.of(row) for row in db.query(sql, params)}
