"""The helpdesk figures of a question, computed by ClickHouse in one query over the moments.

``helpdesk_moments`` (``moments_sql``) holds a row per instant where a figure lands, filed under
its conversation's channel, priority, agent and org unit. The query reads the rows of the tenant
before the range's end, judges SLA against the question's targets and ``asOf`` (met: a first
response within the target of its priority; breached: a known creation whose deadline falls in
the range, by ``asOf``, with no reply by the deadline and no resolution in [creation, deadline)),
buckets in the question's zone and groups by bucket start (a UTC instant, matched to the grid)
and once more over the whole range (``GROUPING SETS``); rows before the range fall into one
extra group whose backlog change opens the range.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pulse.families.helpdesk.conversations_sql import sla_params
from pulse.families.helpdesk.model import HelpdeskAnswer, HelpdeskFigures, HelpdeskQuery
from pulse.families.helpdesk.moments_sql import (
    BREACHED,
    CREATED,
    CSAT,
    FIRST_RESPONSE,
    REOPENED,
    RESOLVED,
)
from pulse.graphql.numbers import mean_seconds, rate, round_half_away
from pulse.graphql.queries import Reader

# The start of the bucket holding instant ``at`` (UTC ms), as UTC ms; the only text chosen by name.
_START = {
    "hour": "toUnixTimestamp(toStartOfHour(fromUnixTimestamp64Milli(at, 'UTC'), {tz:String}))",
    "day": "toUnixTimestamp(toStartOfDay(fromUnixTimestamp64Milli(at, 'UTC'), {tz:String}))",
    "week": "toUnixTimestamp(toDateTime(toMonday(fromUnixTimestamp64Milli(at, 'UTC'), {tz:String}),"
    " {tz:String}))",
    "month": "toUnixTimestamp(toDateTime(toStartOfMonth(fromUnixTimestamp64Milli(at, 'UTC'),"
    " {tz:String}), {tz:String}))",
}

# The question's first-response target of a row's priority.
_TARGET = """multiIf(
    priority = 'urgent', {sla_urgent:Int64},
    priority = 'high', {sla_high:Int64},
    priority = 'low', {sla_low:Int64},
    {sla_normal:Int64})"""
_FROM = "fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')"
_TO = "fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"

# The stored moments a figure reads before the range's end (only the backlog reads earlier ones),
# then what the known creation rows carry: the first response in the reply's bucket, and the
# breach of a deadline in the range, by ``asOf``, with no reply by the deadline and no resolution
# in [creation, deadline).
_FACTS_SQL = f"""
SELECT kind, toUnixTimestamp64Milli(t) AS at, value, priority
FROM helpdesk_moments FINAL
WHERE tenant_id = {{tenant_id:String}} AND t < {_TO}
  AND (kind != {CSAT} OR t >= {_FROM}) {{filters}}
UNION ALL
SELECT f.1, f.2, f.3, priority
FROM (
    SELECT toUnixTimestamp64Milli(t) AS created_ms, created_ms + {_TARGET} AS deadline_ms,
           priority, reply_ms, first_resolution_ms
    FROM helpdesk_moments FINAL
    WHERE tenant_id = {{tenant_id:String}} AND kind = {CREATED} AND known_creation
      AND t < {_TO} {{filters}}
)
ARRAY JOIN arrayConcat(
    if(reply_ms >= {{from_ms:Int64}} AND reply_ms < {{to_ms:Int64}},
       [tuple(toUInt8({FIRST_RESPONSE}), assumeNotNull(reply_ms),
              assumeNotNull(reply_ms) - created_ms)], []),
    if(deadline_ms >= {{from_ms:Int64}} AND deadline_ms < {{to_ms:Int64}}
         AND deadline_ms <= {{as_of_ms:Int64}}
         AND (reply_ms IS NULL OR reply_ms > deadline_ms)
         AND (first_resolution_ms IS NULL OR first_resolution_ms >= deadline_ms),
       [tuple(toUInt8({BREACHED}), deadline_ms, toInt64(0))], [])
) AS f
"""

_IN = "at >= {from_ms:Int64}"


def _sorted_values(kind: int, extra: str = "") -> str:
    return f"arraySort(groupArrayIf(value, kind = {kind}{extra} AND {_IN}))"


# Nearest rank ceil(p/100 · n) in integer arithmetic, so no float rounding moves a rank.
def _rank(values: str, p: int) -> str:
    return f"{values}[intDiv({p} * length({values}) + 99, 100)]"


_FRT = _sorted_values(FIRST_RESPONSE)
_RESOLUTION = _sorted_values(RESOLVED, " AND value >= 0")

_FIGURES_SQL = f"""
SELECT
    grouping(b) AS whole_range,
    b AS start_ms,
    countIf(kind = {CREATED} AND {_IN}) AS created,
    countIf(kind = {RESOLVED} AND {_IN}) AS resolved,
    countIf(kind = {REOPENED} AND {_IN}) AS reopened,
    length({_FRT}) AS frt_n,
    arraySum({_FRT}) AS frt_total,
    {_rank(_FRT, 50)} AS frt_p50,
    {_rank(_FRT, 90)} AS frt_p90,
    length({_RESOLUTION}) AS res_n,
    arraySum({_RESOLUTION}) AS res_total,
    {_rank(_RESOLUTION, 50)} AS res_p50,
    {_rank(_RESOLUTION, 90)} AS res_p90,
    countIf(kind = {FIRST_RESPONSE} AND value <= {_TARGET} AND {_IN}) AS met,
    countIf(kind = {BREACHED} AND {_IN}) AS breached,
    sum(multiIf(kind IN ({CREATED}, {REOPENED}), 1, kind = {RESOLVED}, -1, 0)) AS backlog_change,
    countIf(kind = {CSAT} AND {_IN}) AS csat_n,
    sumIf(value, kind = {CSAT} AND {_IN}) AS csat_total,
    countIf(kind = {CSAT} AND value >= 4 AND {_IN}) AS csat_good
FROM (
    SELECT kind, at, value, priority,
           if({_IN}, toInt64({{bucket_start}}) * 1000, toInt64(-1)) AS b
    FROM ({_FACTS_SQL})
)
GROUP BY GROUPING SETS ((b), ())
"""

_FILTERS = {
    "channel": " AND channel = {channel:String}",
    "priority": " AND priority = {priority:String}",
    "agent": " AND agent = {agent:String}",
    "org_unit": " AND org_unit = {org_unit:String}",
}


def helpdesk_answer(db: Reader, q: HelpdeskQuery) -> HelpdeskAnswer:
    """Figures of every bucket of ``q`` (empty ones zero and null, backlog carried) and totals."""
    rows = db.query(_sql(q), _params(q))
    starts = [b.start_ms for b in q.buckets]
    per_bucket: list[dict[str, Any] | None] = [None] * len(starts)
    opening, totals = 0, None
    for row in rows:
        if row["whole_range"] == 0 and row["start_ms"] < 0:
            opening = int(row["backlog_change"])
        elif row["whole_range"] == 0:
            # A ClickHouse start that is no grid start (a zone whose offset moves by a
            # non-whole hour) goes to the grid bucket it falls in.
            per_bucket[max(bisect_right(starts, int(row["start_ms"])) - 1, 0)] = row
        else:
            totals = row
    figures: list[HelpdeskFigures] = []
    backlog = opening
    for found in per_bucket:
        backlog += int(found["backlog_change"]) if found else 0
        figures.append(_figures(found, backlog))
    return HelpdeskAnswer(buckets=tuple(figures), totals=_figures(totals, backlog))


def _filters(q: HelpdeskQuery) -> dict[str, str]:
    given = {"channel": q.channel, "priority": q.priority, "agent": q.agent, "org_unit": q.org_unit}
    return {name: value for name, value in given.items() if value is not None}


def _sql(q: HelpdeskQuery) -> str:
    filters = "".join(_FILTERS[name] for name in _filters(q))
    return _FIGURES_SQL.replace("{bucket_start}", _START[q.granularity]).replace(
        "{filters}", filters
    )


def _params(q: HelpdeskQuery) -> dict[str, Any]:
    sla = sla_params(q.sla_ms)
    return {
        "tenant_id": q.tenant_id,
        "tz": q.time_zone,
        "from_ms": q.from_ms,
        "to_ms": q.to_ms,
        "as_of_ms": q.as_of_ms,
        **sla,
        **_filters(q),
    }


def _figures(row: Mapping[str, Any] | None, backlog: int) -> HelpdeskFigures:
    if row is None:
        row = _EMPTY
    frt_n, res_n, csat_n = int(row["frt_n"]), int(row["res_n"]), int(row["csat_n"])
    met, breached = int(row["met"]), int(row["breached"])
    return HelpdeskFigures(
        conversations_created=int(row["created"]),
        conversations_resolved=int(row["resolved"]),
        conversations_reopened=int(row["reopened"]),
        first_responses=frt_n,
        frt_avg_seconds=mean_seconds(int(row["frt_total"]), frt_n),
        frt_p50_seconds=_seconds(row["frt_p50"], frt_n),
        frt_p90_seconds=_seconds(row["frt_p90"], frt_n),
        resolutions=res_n,
        resolution_avg_seconds=mean_seconds(int(row["res_total"]), res_n),
        resolution_p50_seconds=_seconds(row["res_p50"], res_n),
        resolution_p90_seconds=_seconds(row["res_p90"], res_n),
        sla_met=met,
        sla_breached=breached,
        sla_breach_rate=rate(breached, met + breached),
        backlog=backlog,
        csat_responses=csat_n,
        csat_avg=(round_half_away(Decimal(int(row["csat_total"])) / csat_n, 3) if csat_n else None),
        csat_percent=rate(int(row["csat_good"]), csat_n),
    )


def _seconds(value_ms: Any, n: int) -> float | None:
    return int(value_ms) / 1000 if n else None


_EMPTY: Mapping[str, Any] = {
    key: 0
    for key in [
        "created",
        "resolved",
        "reopened",
        "frt_n",
        "frt_total",
        "frt_p50",
        "frt_p90",
        "res_n",
        "res_total",
        "res_p50",
        "res_p90",
        "met",
        "breached",
        "csat_n",
        "csat_total",
        "csat_good",
    ]
}
