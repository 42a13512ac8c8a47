"""The messaging figures of a question, computed by ClickHouse from ``messaging_slots``.

Slots are bucketed in SQL in the question's zone, grouped by bucket start (a UTC instant, matched
to the grid) and once more over the whole range (``GROUPING SETS``). ``FINAL`` keeps each slot
row's latest recomputation.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from pulse.families.derivation import tenants_or
from pulse.families.messaging.model import (
    COUNTS,
    Filters,
    MessagingAnswer,
    MessagingCounts,
    MessagingQuery,
)
from pulse.graphql.queries import Reader

# The start of the bucket holding ``slot``, as UTC seconds; the only text chosen by name.
_START = {
    "hour": "toUnixTimestamp(toStartOfHour(slot, {tz:String}))",
    "day": "toUnixTimestamp(toStartOfDay(slot, {tz:String}))",
    "week": "toUnixTimestamp(toDateTime(toMonday(slot, {tz:String}), {tz:String}))",
    "month": "toUnixTimestamp(toDateTime(toStartOfMonth(slot, {tz:String}), {tz:String}))",
}
_SUMS = ", ".join(f"toInt64(sum({c})) AS {c}" for c in COUNTS)
IN_RANGE = """
    tenant_id = {tenant_id:String}
    AND slot >= toDateTime(intDiv({from_ms:Int64}, 1000), 'UTC')
    AND slot < toDateTime(intDiv({to_ms:Int64}, 1000), 'UTC')"""

_FIGURES_SQL = f"""
SELECT grouping(b) AS whole_range, b AS start_ms, {_SUMS}
FROM (
    SELECT toInt64({{bucket_start}}) * 1000 AS b, {", ".join(COUNTS)}
    FROM messaging_slots FINAL
    WHERE {IN_RANGE} {{filters}}
)
GROUP BY GROUPING SETS ((b), ())
"""

_ORG_UNITS = " AND org_unit IN {org_units:Array(String)}"

# Per tenant, slot and channel: the counts and the version stored; {tenants}: which slots of
# which tenants (``_tenants_slots``).
_SLOTS_SQL = f"""
SELECT tenant_id, toInt64(toUnixTimestamp(slot)) * 1000 AS slot_ms, toString(channel) AS channel,
       toInt64(max(version)) AS version, {_SUMS}
FROM messaging_slots FINAL
WHERE {{tenants}}
GROUP BY tenant_id, slot, channel
"""


def _tenants_slots(tenants: int) -> str:
    return tenants_or(
        [
            f"slot >= toDateTime(intDiv({{from{t}:Int64}}, 1000), 'UTC')"
            f" AND slot < toDateTime(intDiv({{to{t}:Int64}}, 1000), 'UTC')"
            f" AND toInt64(toUnixTimestamp(slot)) * 1000 IN {{slots{t}:Array(Int64)}}"
            for t in range(tenants)
        ]
    )


def messaging_answer(db: Reader, q: MessagingQuery) -> MessagingAnswer:
    """Counts of every bucket of ``q`` (empty ones zero) and of the whole range."""
    clauses, params = filter_clauses(q.filters)
    params.update(tenant_id=q.tenant_id, tz=q.time_zone, from_ms=q.from_ms, to_ms=q.to_ms)
    sql = _FIGURES_SQL.replace("{bucket_start}", _START[q.granularity]).replace(
        "{filters}", clauses
    )
    starts = [b.start_ms for b in q.buckets]
    per_bucket = [MessagingCounts()] * len(starts)
    totals = MessagingCounts()
    for row in db.query(sql, params):
        if row["whole_range"]:
            totals = MessagingCounts.of(row)
        else:
            # A ClickHouse start that is no grid start (a zone whose offset moves by a
            # non-whole hour) goes to the grid bucket it falls in.
            at = max(bisect_right(starts, int(row["start_ms"])) - 1, 0)
            per_bucket[at] = per_bucket[at] + MessagingCounts.of(row)
    return MessagingAnswer(buckets=tuple(per_bucket), totals=totals)


def filter_clauses(filters: Filters) -> tuple[str, dict[str, Any]]:
    """The ``AND …`` clauses on ``messaging_slots`` keeping what ``filters`` keeps, and their
    parameters."""
    given = filters.given()
    clauses = "".join(f" AND {d} = {{{d}:String}}" for d in given)
    params: dict[str, Any] = dict(given)
    if filters.org_units is not None:
        clauses += _ORG_UNITS
        params["org_units"] = list(filters.org_units)
    return clauses, params


def slot_channels(db: Reader, tenant_id: str, slots: Sequence[int]) -> list[dict[str, Any]]:
    """Per slot (of ``slots``, UTC ms) and channel: the counts and the version stored."""
    return tenants_slot_channels(db, {tenant_id: slots})


def tenants_slot_channels(db: Reader, slots: Mapping[str, Sequence[int]]) -> list[dict[str, Any]]:
    """:func:`slot_channels` of several tenants (each row names its ``tenant_id``) in one
    statement: what the sink's realtime hook reads after every batch, whatever its tenants."""
    asked = {tenant: sorted(found) for tenant, found in slots.items() if found}
    if not asked:
        return []
    params: dict[str, Any] = {}
    for t, (tenant, ordered) in enumerate(asked.items()):
        params[f"tenant{t}"], params[f"slots{t}"] = tenant, ordered
        params[f"from{t}"], params[f"to{t}"] = ordered[0], ordered[-1] + 1000
    return db.query(_SLOTS_SQL.replace("{tenants}", _tenants_slots(len(asked))), params)
