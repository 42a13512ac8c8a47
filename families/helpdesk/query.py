"""The helpdesk figures of a question, computed by ClickHouse in one statement over the moments.

``helpdesk_moments`` (``moments_sql``) holds a row per event where a figure lands, filed under
its conversation's channel, priority, agent and org unit; ``figures_sql`` groups them by bucket
in the question's zone (bucket starts are UTC instants, matched to the grid) and judges SLA
against the question's targets and ``asOf``. This module adds up the groups into the grid.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pulse.families.helpdesk.conversations_sql import sla_params
from pulse.families.helpdesk.figures_sql import COLUMNS, FILTERS, figures_sql
from pulse.families.helpdesk.model import HelpdeskAnswer, HelpdeskFigures, HelpdeskQuery
from pulse.families.helpdesk.moments_sql import CREATED, REOPENED, RESOLVED
from pulse.graphql.numbers import mean_seconds, rate, round_half_away
from pulse.graphql.queries import Reader

DAY_MS = 86_400_000

# Which figures each grouping carries (the others are not computed there).
_EVENTS = COLUMNS[: COLUMNS.index("frt_n")]
_REPLIES = ("frt_n", "frt_total", "frt_p50", "frt_p90", "met")
_CARRIES = {"events": _EVENTS, "replies": _REPLIES, "deadlines": ("breached",)}


def helpdesk_answer(db: Reader, q: HelpdeskQuery) -> HelpdeskAnswer:
    """Figures of every bucket of ``q`` (empty ones zero and null, backlog carried) and totals."""
    rows = db.query(*statement(q))
    starts = [b.start_ms for b in q.buckets]
    per_bucket: list[dict[str, int]] = [dict.fromkeys(COLUMNS, 0) for _ in starts]
    totals = dict.fromkeys(COLUMNS, 0)
    opening = 0
    for row in rows:
        grouped, start = str(row["grouped"]), int(row["start_ms"])
        if grouped == "total":
            # Both scans give a total row; each carries its own figures, zero for the others.
            for column in COLUMNS:
                totals[column] += int(row[column])
        elif start < 0:
            if grouped == "events":
                opening = int(row["backlog_change"])
        else:
            # A ClickHouse start that is no grid start (a zone whose offset moves by a
            # non-whole hour) goes to the grid bucket it falls in.
            found = per_bucket[max(bisect_right(starts, start) - 1, 0)]
            for column in _CARRIES[grouped]:
                found[column] = int(row[column])
    figures: list[HelpdeskFigures] = []
    backlog = opening
    for found in per_bucket:
        backlog += found["backlog_change"]
        figures.append(figures_of(found, backlog))
    return HelpdeskAnswer(buckets=tuple(figures), totals=figures_of(totals, backlog))


def range_figures(db: Reader, q: HelpdeskQuery) -> HelpdeskFigures:
    """Figures over the whole ``[q.from_ms, q.to_ms)`` whatever its buckets (an alert's window
    is on no grid: one bucket spanning it will do), the backlog at ``q.to_ms``.

    Only the statement's total rows are read: they group every moment of the range, and the
    events scan's total also sums the moments before it, so its backlog change is the backlog.
    """
    totals = dict.fromkeys(COLUMNS, 0)
    for row in db.query(*statement(q)):
        if str(row["grouped"]) == "total":
            for column in COLUMNS:
                totals[column] += int(row[column])
    return figures_of(totals, totals["backlog_change"])


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


def statement(q: HelpdeskQuery) -> tuple[str, dict[str, Any]]:
    """The SQL text and parameters of ``q``'s one statement (also what the profile times)."""
    return _sql(q), statement_params(q)


def _sql(q: HelpdeskQuery) -> str:
    return figures_sql(q.granularity, "".join(FILTERS[name] for name in filter_values(q)))


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
