"""The campaigns (or templates) a ranking puts first over a range, with their messaging counts.

The same counts as ``messagingMetrics(campaign: …)`` (METRICS.md §4: the event's own
``campaign_id`` / ``template_id``), grouped by that id over the whole range: the whole UTC days
inside the range from ``outreach_days``, the partial days at its edges from ``messaging_slots``
(a range is a whole number of 15-minute slots in any zone), so 30 days read about a row per live
campaign and day; ClickHouse ranks them (``ranking.py``), so only the rows asked for come back.
Events without the id (``""``) belong to no campaign or template.

Only the counts a caller needs are read: each column read costs a file per part, and under
``FINAL`` the rows' key columns are read anyway, so a list of one rate and a count reads about
half of what all eight counts do (families/outreach/README.md, "Cost").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pulse.families.messaging.model import COUNTS, MessagingCounts
from pulse.families.outreach.days import DAY_MS
from pulse.families.outreach.ranking import Ranking
from pulse.graphql.queries import Reader

IdColumn = Literal["campaign_id", "template_id"]

_DAYS = """
    SELECT {column} AS id, {counts}
    FROM outreach_days FINAL
    WHERE tenant_id = {{tenant_id:String}}
      AND day >= toDateTime(intDiv({{days_from:Int64}}, 1000), 'UTC')
      AND day < toDateTime(intDiv({{days_to:Int64}}, 1000), 'UTC')
      AND {column} != ''{filters}"""
_EDGES = """
    SELECT {column} AS id, {counts}
    FROM messaging_slots FINAL
    WHERE tenant_id = {{tenant_id:String}}
      AND ((slot >= toDateTime(intDiv({{from_ms:Int64}}, 1000), 'UTC')
            AND slot < toDateTime(intDiv({{days_from:Int64}}, 1000), 'UTC'))
        OR (slot >= toDateTime(intDiv({{days_to:Int64}}, 1000), 'UTC')
            AND slot < toDateTime(intDiv({{to_ms:Int64}}, 1000), 'UTC')))
      AND {column} != ''{filters}"""
_SQL = """
SELECT * FROM (
SELECT id, {sums} FROM ({parts})
GROUP BY id
)"""


def ranked_by_id(
    db: Reader,
    column: IdColumn,
    ranking: Ranking,
    tenant_id: str,
    from_ms: int,
    to_ms: int,
    channel: str | None,
    counts: Sequence[str] = COUNTS,
) -> list[tuple[str, MessagingCounts]]:
    """The non-empty ``column`` values ``ranking`` puts first, in its order, with their counts
    of ``[from_ms, to_ms)`` (slot-aligned), of ``channel`` only when one is given. Only
    ``counts`` (which must hold those ``ranking``'s figure reads) are summed; the others are 0."""
    days_from = -(-from_ms // DAY_MS) * DAY_MS
    days_to = to_ms // DAY_MS * DAY_MS
    if days_from >= days_to:  # no whole UTC day inside: the slots hold it all
        days_from = days_to = to_ms
    filters = " AND channel = {channel:String}" if channel is not None else ""
    read = [c for c in COUNTS if c in counts]
    sums = ", ".join(f"toInt64(sum({c})) AS {c}" for c in read)
    # A part with nothing to read is left out: a table read costs milliseconds even when empty.
    parts = [_DAYS] if days_from < days_to else []
    if (from_ms, to_ms) != (days_from, days_to):
        parts.append(_EDGES)
    if not parts:
        return []
    fill = {"column": column, "counts": ", ".join(read), "filters": filters}
    union = "\n    UNION ALL".join(part.format(**fill) for part in parts)
    sql = _SQL.format(sums=sums, parts=union)
    sql += ranking.clauses("id")
    params: dict[str, Any] = {
        "limit": ranking.limit,
        "tenant_id": tenant_id,
        "from_ms": from_ms,
        "to_ms": to_ms,
        "days_from": days_from,
        "days_to": days_to,
    }
    if channel is not None:
        params["channel"] = channel
    return [(str(row["id"]), MessagingCounts.of(row)) for row in db.query(sql, params)]
