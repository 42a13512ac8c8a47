"""The helpdesk figures of a question, computed by ClickHouse in one query.

Each conversation (``conversations_sql``) unfolds into facts ``(kind, instant, value, channel,
priority)``: every creation, the first response, SLA met or breached, every resolution (with
its resolution time when creation is known and not later), every reopening, every CSAT answer.
The facts are bucketed in SQL in the question's zone and grouped by bucket start (a UTC instant,
matched to the grid) and once more over the whole range (``GROUPING SETS``); facts before the
range fall into one extra group whose backlog change opens the range.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pulse.families.helpdesk.conversations_sql import (
    CONVERSATIONS_SQL,
    conversation_filters,
    conversation_params,
)
from pulse.families.helpdesk.model import HelpdeskAnswer, HelpdeskFigures, HelpdeskQuery
from pulse.graphql.numbers import mean_seconds, rate, round_half_away
from pulse.graphql.queries import Reader

CREATED, FIRST_RESPONSE, MET, BREACHED, RESOLVED, REOPENED, CSAT = range(1, 8)

# The start of the bucket holding instant ``t`` (UTC ms), as UTC ms; the only text chosen by name.
_START = {
    "hour": "toUnixTimestamp(toStartOfHour(fromUnixTimestamp64Milli(t, 'UTC'), {tz:String}))",
    "day": "toUnixTimestamp(toStartOfDay(fromUnixTimestamp64Milli(t, 'UTC'), {tz:String}))",
    "week": "toUnixTimestamp(toDateTime(toMonday(fromUnixTimestamp64Milli(t, 'UTC'), {tz:String}),"
    " {tz:String}))",
    "month": "toUnixTimestamp(toDateTime(toStartOfMonth(fromUnixTimestamp64Milli(t, 'UTC'),"
    " {tz:String}), {tz:String}))",
}

# Facts of one conversation; a fact of a conversation without creation is filed under the
# event's own channel and priority normal. Resolution value -1: no resolution time.
_FACTS_SQL = f"""
SELECT
    arrayJoin(arrayConcat(
        arrayMap(e -> tuple(toUInt8({CREATED}), toUnixTimestamp64Milli(e.1), toInt64(0),
                            conv_channel), if(known, creations, [])),
        if(known AND replied,
           [tuple(toUInt8({FIRST_RESPONSE}), reply_ms, reply_ms - created_ms, conv_channel)], []),
        if(known AND replied AND reply_ms <= deadline_ms,
           [tuple(toUInt8({MET}), reply_ms, toInt64(0), conv_channel)],
           if(known AND deadline_ms <= {{as_of_ms:Int64}}
                AND NOT arrayExists(r -> toUnixTimestamp64Milli(r.1) >= created_ms
                                         AND toUnixTimestamp64Milli(r.1) < deadline_ms,
                                    resolutions),
              [tuple(toUInt8({BREACHED}), deadline_ms, toInt64(0), conv_channel)], [])),
        arrayMap(e -> tuple(toUInt8({RESOLVED}), toUnixTimestamp64Milli(e.1),
                            if(known AND toUnixTimestamp64Milli(e.1) >= created_ms,
                               toUnixTimestamp64Milli(e.1) - created_ms, toInt64(-1)),
                            if(known, conv_channel, toString(e.3))), resolutions),
        arrayMap(e -> tuple(toUInt8({REOPENED}), toUnixTimestamp64Milli(e.1), toInt64(0),
                            if(known, conv_channel, toString(e.3))), reopenings),
        arrayMap(e -> tuple(toUInt8({CSAT}), toUnixTimestamp64Milli(e.1), toInt64(e.3),
                            if(known, conv_channel, toString(e.4))), csat)
    )) AS f,
    f.1 AS kind, f.2 AS t, f.3 AS value, f.4 AS channel,
    if(known, conv_priority, 'normal') AS priority
FROM ({CONVERSATIONS_SQL})
"""

_IN = "t >= {from_ms:Int64}"


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
    countIf(kind = {MET} AND {_IN}) AS met,
    countIf(kind = {BREACHED} AND {_IN}) AS breached,
    sum(multiIf(kind IN ({CREATED}, {REOPENED}), 1, kind = {RESOLVED}, -1, 0)) AS backlog_change,
    countIf(kind = {CSAT} AND {_IN}) AS csat_n,
    sumIf(value, kind = {CSAT} AND {_IN}) AS csat_total,
    countIf(kind = {CSAT} AND value >= 4 AND {_IN}) AS csat_good
FROM (
    SELECT kind, t, value, if({_IN}, toInt64({{bucket_start}}) * 1000, toInt64(-1)) AS b
    FROM ({_FACTS_SQL})
    WHERE t < {{to_ms:Int64}} {{fact_filters}}
)
GROUP BY GROUPING SETS ((b), ())
"""

_CHANNEL = " AND channel = {channel:String}"
_PRIORITY = " AND priority = {priority:String}"


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


def _sql(q: HelpdeskQuery) -> str:
    fact_filters = (_CHANNEL if q.channel is not None else "") + (
        _PRIORITY if q.priority is not None else ""
    )
    return (
        _FIGURES_SQL.replace("{bucket_start}", _START[q.granularity])
        .replace("{fact_filters}", fact_filters)
        .replace("{conversation_filters}", conversation_filters(q.agent, q.org_unit))
    )


def _params(q: HelpdeskQuery) -> dict[str, Any]:
    params = conversation_params(q.tenant_id, q.sla_ms, q.agent, q.org_unit)
    params.update(tz=q.time_zone, from_ms=q.from_ms, to_ms=q.to_ms, as_of_ms=q.as_of_ms)
    if q.channel is not None:
        params["channel"] = q.channel
    if q.priority is not None:
        params["priority"] = q.priority
    return params


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
