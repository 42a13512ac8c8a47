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

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pulse.families.derivation import Difference, Key, row_differences
from pulse.families.helpdesk.moments_sql import CREATED, FINAL_SETTINGS, REOPENED, RESOLVED
from pulse.graphql.queries import Reader
from pulse.sinks.clickhouse import ClickHouse

TABLE = "helpdesk_backlog_days"
_FILING = ("channel", "priority", "agent", "org_unit")

# The UTC days of every event of the conversations, for every tenant of a batch at once (an id
# another of those tenants also uses adds its days too: a day recounted for nothing, never one
# missed), each flagged when it holds a creation, resolution or reopening (what moves the
# backlog). Without FINAL: the facts only accumulate (sets, min/max), so the days of a
# conversation's unmerged rows together are those of its merged row (-30 % for a batch's 4,000
# conversations).
_DAYS_SQL = """
SELECT tenant_id, toDate(at.1, 'UTC') AS day, max(at.2) AS moves_backlog
FROM helpdesk_conversations
ARRAY JOIN arrayConcat(
    arrayMap(x -> (x, 1), arrayConcat(creations.1, resolutions.1, reopenings.1)),
    arrayMap(x -> (x, 0), arrayConcat(agent_replies.1, csat.1))) AS at
WHERE tenant_id IN {tenants:Array(String)} AND conversation_id IN {ids:Array(String)}
GROUP BY tenant_id, day
ORDER BY tenant_id, day
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
# One run of consecutive days of a tenant, as a range of the moments' key (``{n}``: its name),
# so that a recount of scattered days reads those days only.
_RUN = (
    "(t >= toDateTime64({{first_{n}:Date}}, 3, 'UTC')"
    " AND t < toDateTime64({{last_{n}:Date}} + 1, 3, 'UTC'))"
)
_TENANT = "(tenant_id = {{tenant_{i}:String}} AND ({runs}))"
_STORED_DAYS = "(tenant_id = {{tenant_{i}:String}} AND has({{days_{i}:Array(Date)}}, day))"

# The days' rows as the moments give them (``{db}`` qualifies the tables, for the migration).
COUNTED_SQL = f"""
SELECT tenant_id, toDate(t, 'UTC') AS day, channel, priority, agent, org_unit,
       sum({_CHANGE}) AS change
FROM {{db}}helpdesk_moments FINAL
WHERE {{where}} AND {_MOMENT_KINDS}
GROUP BY tenant_id, day, channel, priority, agent, org_unit
"""

_COUNTED = COUNTED_SQL.replace("{db}", "").replace("{where}", "({runs})")

# The days' rows counted now beside those stored (each as ``delta``), so a filing stored but no
# longer counted is written 0.
_RECOUNT_SQL = f"""
INSERT INTO {TABLE} (tenant_id, day, channel, priority, agent, org_unit, change, version)
SELECT tenant_id, day, channel, priority, agent, org_unit, sumIf(delta, counted) AS change,
       toUInt64(toUnixTimestamp64Micro(now64(6))) AS version
FROM (
    SELECT tenant_id, day, channel, priority, agent, org_unit, change AS delta, 1 AS counted
    FROM ({_COUNTED})
    UNION ALL
    SELECT tenant_id, day, channel, priority, agent, org_unit, change AS delta, 0 AS counted
    FROM {TABLE} FINAL
    WHERE {{stored}}
)
GROUP BY tenant_id, day, channel, priority, agent, org_unit
HAVING max(counted) = 1 OR sumIf(delta, NOT counted) != 0
{FINAL_SETTINGS}
"""

_STORED_SQL = f"""
SELECT day, channel, priority, agent, org_unit, change
FROM {TABLE} FINAL
WHERE ({{stored}}) AND change != 0
"""


@dataclass(frozen=True)
class Days:
    """Per tenant, the UTC days of some conversations' events."""

    # Days holding a creation, resolution or reopening: those whose backlog rows a refresh
    # recounts.
    backlog: dict[str, list[date]]
    # Days holding any of their events: where their figures land (``changes``).
    every: dict[str, list[date]]


def days_of(db: Reader, keys: Collection[Key]) -> Days:
    """The days of the ``(tenant_id, conversation_id)`` of ``keys`` (one statement for them
    all)."""
    found = Days({}, {})
    if not keys:
        return found
    params = {"tenants": sorted({k[0] for k in keys}), "ids": sorted({k[1] for k in keys})}
    for row in db.query(_DAYS_SQL, params):
        tenant = str(row["tenant_id"])
        found.every.setdefault(tenant, []).append(row["day"])
        if row["moves_backlog"]:
            found.backlog.setdefault(tenant, []).append(row["day"])
    return found


def days_of_events(
    db: Reader, tenant_id: str, conversation_ids: Sequence[str], event_ids: Sequence[str]
) -> list[date]:
    """The UTC days of the stored moments of ``event_ids`` (of those conversations)."""
    params = {"tenant_id": tenant_id, "ids": list(conversation_ids), "event_ids": list(event_ids)}
    return [row["day"] for row in db.query(_EVENT_DAYS_SQL, params)]


def recount(db: ClickHouse, days: Mapping[str, Sequence[date]]) -> None:
    """Rewrite the rows of each tenant's ``days`` from the moments stored now, in one
    statement for every tenant."""
    if any(days.values()):
        runs, stored, params = _where(days)
        db.execute(_RECOUNT_SQL.replace("{runs}", runs).replace("{stored}", stored), params)


def differences(db: Reader, tenant_id: str, days: Sequence[date]) -> list[Difference]:
    """Day rows of ``days`` whose change a recount would not write the same way."""
    if not days:
        return []
    runs, stored, params = _where({tenant_id: days})
    counted = db.query(_COUNTED.replace("{runs}", runs), params)
    recounted = {_key(r): r for r in counted if int(r["change"]) != 0}
    stored_rows = {_key(r): r for r in db.query(_STORED_SQL.replace("{stored}", stored), params)}
    return row_differences(TABLE, tenant_id, stored_rows, recounted, ("change",))


def _where(days: Mapping[str, Sequence[date]]) -> tuple[str, str, dict[str, Any]]:
    """The moments' key ranges of every tenant's days (runs of consecutive days OR-ed) and the
    stored rows of those days, as fixed text, with their parameters."""
    params: dict[str, Any] = {}
    tenants: list[str] = []
    stored: list[str] = []
    for i, (tenant_id, some) in enumerate(sorted(days.items())):
        ordered = sorted(set(some))
        if not ordered:
            continue
        params[f"tenant_{i}"], params[f"days_{i}"] = tenant_id, ordered
        runs: list[str] = []
        for day in ordered:
            last = f"last_{i}_{len(runs) - 1}"
            if runs and (day - params[last]).days == 1:
                params[last] = day
                continue
            params[f"first_{i}_{len(runs)}"] = params[f"last_{i}_{len(runs)}"] = day
            runs.append(_RUN.format(n=f"{i}_{len(runs)}"))
        tenants.append(_TENANT.format(i=i, runs=" OR ".join(runs)))
        stored.append(_STORED_DAYS.format(i=i))
    return " OR ".join(tenants), " OR ".join(stored), params


def _key(row: dict[str, Any]) -> Key:
    return (row["day"], *(str(row[c]) for c in _FILING))
