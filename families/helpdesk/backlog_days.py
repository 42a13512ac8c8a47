"""``helpdesk_backlog_days``: the backlog's change per UTC day and filing, so that a question
opens its backlog from a row per day and filing instead of every moment since the tenant began.

A row holds, for one tenant, UTC day and filing (channel, priority, agent, org unit), the
creations and reopenings minus the resolutions among that day's moments: the backlog rule of
``figures_sql`` summed ahead of time. Moments keep their day (their ``t`` never changes) but
change filing when a conversation is reassigned or its creation arrives late, so a refresh
recounts whole days: every day holding a moment of the refreshed conversations, from
``helpdesk_moments FINAL``, writing a row for every filing counted or stored before (a filing
left empty gets 0). Rows are versioned by the statement's clock, so a later recount, having
read every moment written before it, wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pulse.families.derivation import Difference, Key, row_differences
from pulse.families.helpdesk.moments_sql import CREATED, REOPENED, RESOLVED
from pulse.graphql.queries import Reader
from pulse.sinks.clickhouse import ClickHouse

TABLE = "helpdesk_backlog_days"
_FILING = ("channel", "priority", "agent", "org_unit")

# The UTC days of every moment a conversation has that moves the backlog. Without FINAL: the
# facts only accumulate (sets, min/max), so the days of a conversation's unmerged rows together
# are those of its merged row (-30 % for a batch's 4,000 conversations).
_DAYS_SQL = """
SELECT DISTINCT toDate(at, 'UTC') AS day
FROM helpdesk_conversations
ARRAY JOIN arrayConcat(creations.1, resolutions.1, reopenings.1) AS at
WHERE tenant_id = {tenant_id:String} AND conversation_id IN {ids:Array(String)}
ORDER BY day
"""

# The UTC days of the stored moments of some events (an erasure's, before they go).
_EVENT_DAYS_SQL = """
SELECT DISTINCT toDate(t, 'UTC') AS day
FROM helpdesk_moments
WHERE tenant_id = {tenant_id:String} AND conversation_id IN {ids:Array(String)}
  AND event_id IN {event_ids:Array(String)}
ORDER BY day
"""

_CHANGE = f"toInt64(if(kind = {RESOLVED}, -1, 1))"
_MOMENT_KINDS = f"kind IN ({CREATED}, {RESOLVED}, {REOPENED})"
# One run of consecutive days, as a range of the moments' key (``{n}``: its number), so that a
# recount of scattered days reads those days only.
_RUN = (
    "(t >= toDateTime64({{first_{n}:Date}}, 3, 'UTC')"
    " AND t < toDateTime64({{last_{n}:Date}} + 1, 3, 'UTC'))"
)

# The days' rows as the moments give them (``{db}`` qualifies the tables, for the migration).
COUNTED_SQL = f"""
SELECT tenant_id, toDate(t, 'UTC') AS day, channel, priority, agent, org_unit,
       sum({_CHANGE}) AS change
FROM {{db}}helpdesk_moments FINAL
WHERE {{where}} AND {_MOMENT_KINDS}
GROUP BY tenant_id, day, channel, priority, agent, org_unit
"""

_RECOUNT_SQL = f"""
INSERT INTO {TABLE} (tenant_id, day, channel, priority, agent, org_unit, change, version)
SELECT tenant_id, day, channel, priority, agent, org_unit, sumIf(delta, counted) AS change,
       toUInt64(toUnixTimestamp64Micro(now64(6))) AS version
FROM (
    SELECT tenant_id, toDate(t, 'UTC') AS day, channel, priority, agent, org_unit,
           {_CHANGE} AS delta, 1 AS counted
    FROM helpdesk_moments FINAL
    WHERE tenant_id = {{tenant_id:String}} AND {_MOMENT_KINDS} AND ({{runs}})
    UNION ALL
    SELECT tenant_id, day, channel, priority, agent, org_unit, change AS delta, 0 AS counted
    FROM {TABLE} FINAL
    WHERE tenant_id = {{tenant_id:String}} AND has({{days:Array(Date)}}, day)
)
GROUP BY tenant_id, day, channel, priority, agent, org_unit
HAVING max(counted) = 1 OR sumIf(delta, NOT counted) != 0
"""

_STORED_SQL = f"""
SELECT day, channel, priority, agent, org_unit, change
FROM {TABLE} FINAL
WHERE tenant_id = {{tenant_id:String}} AND has({{days:Array(Date)}}, day) AND change != 0
"""


def days_of(db: Reader, tenant_id: str, conversation_ids: Sequence[str]) -> list[date]:
    """The UTC days holding a creation, resolution or reopening of the conversations."""
    rows = db.query(_DAYS_SQL, {"tenant_id": tenant_id, "ids": list(conversation_ids)})
    return [row["day"] for row in rows]


def days_of_events(
    db: Reader, tenant_id: str, conversation_ids: Sequence[str], event_ids: Sequence[str]
) -> list[date]:
    """The UTC days of the stored moments of ``event_ids`` (of those conversations)."""
    params = {"tenant_id": tenant_id, "ids": list(conversation_ids), "event_ids": list(event_ids)}
    return [row["day"] for row in db.query(_EVENT_DAYS_SQL, params)]


def recount(db: ClickHouse, tenant_id: str, days: Sequence[date]) -> None:
    """Rewrite the tenant's rows of ``days`` from the moments stored now."""
    if days:
        runs, params = _runs(tenant_id, days)
        db.execute(_RECOUNT_SQL.replace("{runs}", runs), params)


def differences(db: Reader, tenant_id: str, days: Sequence[date]) -> list[Difference]:
    """Day rows of ``days`` whose change a recount would not write the same way."""
    if not days:
        return []
    runs, params = _runs(tenant_id, days)
    where = f"tenant_id = {{tenant_id:String}} AND ({runs})"
    counted = db.query(COUNTED_SQL.replace("{db}", "").replace("{where}", where), params)
    recounted = {_key(r): r for r in counted if int(r["change"]) != 0}
    stored = {_key(r): r for r in db.query(_STORED_SQL, params)}
    return row_differences(TABLE, tenant_id, stored, recounted, ("change",))


def _runs(tenant_id: str, days: Sequence[date]) -> tuple[str, dict[str, Any]]:
    """The key ranges of ``days`` (runs of consecutive days OR-ed, fixed text) and parameters."""
    ordered = sorted(set(days))
    params: dict[str, Any] = {"tenant_id": tenant_id, "days": ordered}
    runs: list[str] = []
    for day in ordered:
        if runs and (day - params[f"last_{len(runs) - 1}"]).days == 1:
            params[f"last_{len(runs) - 1}"] = day
            continue
        params[f"first_{len(runs)}"] = params[f"last_{len(runs)}"] = day
        runs.append(_RUN.format(n=len(runs)))
    return " OR ".join(runs), params


def _key(row: dict[str, Any]) -> Key:
    return (row["day"], *(str(row[c]) for c in _FILING))
