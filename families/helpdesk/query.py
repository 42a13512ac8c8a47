"""What every helpdesk read shares: a question's parameters and filters, where it starts
reading moments, and final figures from counts.

``helpdesk_moments`` (``moments_sql``) holds a row per event where a figure lands, filed under
its conversation's channel, priority, agent and org unit; ``answers.py`` answers a question
from them bucket by bucket, ``breakdown.py`` by group.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pulse.families.helpdesk.conversations_sql import sla_params
from pulse.families.helpdesk.figures_sql import FILTERS
from pulse.families.helpdesk.model import HelpdeskFigures, HelpdeskQuery
from pulse.families.helpdesk.moments_sql import CREATED, REOPENED, RESOLVED
from pulse.graphql.numbers import mean_seconds, rate, round_half_away
from pulse.graphql.queries import Reader

DAY_MS = 86_400_000

# Stored moments need no FINAL to say whether one exists.
_ANY_CONVERSATION_SQL = f"""
SELECT count() AS found FROM (
    SELECT 1 FROM helpdesk_moments
    WHERE tenant_id = {{tenant_id:String}} AND kind IN ({CREATED}, {RESOLVED}, {REOPENED})
      AND t < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC') {{filters}}
    LIMIT 1
)
"""


def has_conversations(db: Reader, q: HelpdeskQuery) -> bool:
    """Whether any creation, resolution or reopening under ``q``'s filters precedes its end:
    what the backlog at that instant rests on."""
    filters = filter_values(q)
    sql = _ANY_CONVERSATION_SQL.replace("{filters}", "".join(FILTERS[name] for name in filters))
    rows = db.query(sql, {"tenant_id": q.tenant_id, "to_ms": q.to_ms, **filters})
    return bool(rows) and int(rows[0]["found"]) > 0


def filter_values(q: HelpdeskQuery) -> dict[str, str | list[str]]:
    """The filters ``q`` sets, by parameter name (``FILTERS`` has each one's SQL)."""
    given = {"channel": q.channel, "priority": q.priority, "agent": q.agent, "org_unit": q.org_unit}
    found: dict[str, str | list[str]] = {n: v for n, v in given.items() if v is not None}
    if q.org_units is not None:
        found["org_units"] = list(q.org_units)
    return found


def statement_params(q: HelpdeskQuery) -> dict[str, Any]:
    """The parameters of any statement over the moments: tenant, zone, range, asOf, targets,
    the opening and filters."""
    targets = sla_params(q.sla_ms)
    return {
        "tenant_id": q.tenant_id,
        "tz": q.time_zone,
        "from_ms": q.from_ms,
        "to_ms": q.to_ms,
        "as_of_ms": q.as_of_ms,
        "opening_ms": opening_ms(q.from_ms, max(targets.values())),
        **targets,
        **filter_values(q),
    }


def opening_ms(from_ms: int, longest_target_ms: int) -> int:
    """Where a question starts reading moments: the start of the UTC day holding ``from_ms``
    less the longest SLA target (a creation that much earlier may breach in the range), never
    before the epoch. Earlier days reach the backlog through their day rows."""
    return max(0, (from_ms - longest_target_ms) // DAY_MS * DAY_MS)


def figures_of(row: Mapping[str, int], backlog: int) -> HelpdeskFigures:
    """The figures of one row of counts and sums (the statement's or a breakdown group's)."""
    frt_n, res_n, csat_n = row["frt_n"], row["res_n"], row["csat_n"]
    met, breached = row["met"], row["breached"]
    return HelpdeskFigures(
        conversations_created=row["created"],
        conversations_resolved=row["resolved"],
        conversations_reopened=row["reopened"],
        first_responses=frt_n,
        frt_avg_seconds=mean_seconds(row["frt_total"], frt_n),
        frt_p50_seconds=_seconds(row["frt_p50"], frt_n),
        frt_p90_seconds=_seconds(row["frt_p90"], frt_n),
        resolutions=res_n,
        resolution_avg_seconds=mean_seconds(row["res_total"], res_n),
        resolution_p50_seconds=_seconds(row["res_p50"], res_n),
        resolution_p90_seconds=_seconds(row["res_p90"], res_n),
        sla_met=met,
        sla_breached=breached,
        sla_breach_rate=rate(breached, met + breached),
        backlog=backlog,
        csat_responses=csat_n,
        csat_avg=round_half_away(Decimal(row["csat_total"]) / csat_n, 3) if csat_n else None,
        csat_percent=rate(row["csat_good"], csat_n),
    )


def _seconds(value_ms: int, n: int) -> float | None:
    return value_ms / 1000 if n else None
