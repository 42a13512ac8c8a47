"""Helpdesk breakdowns: the figures of ``helpdesk_moments`` grouped by one or two of channel,
org unit, agent and priority (what each conversation's moments are filed under) and the local
hour, day or week of the zone.

One scan of the moments from the opening to the range's end (with the backlog day rows before
it and the earlier creations answered in range, as ``figures_sql`` reads them) gives every
figure, by the same rules as the totals of ``figures_sql`` (the events in range, the backlog
from every earlier moment, first responses and SLA from the known creation rows) and with the
same partial columns, which ``query`` turns into figures. Counts and the backlog add up over the
groups; means, rates and exact percentiles of the rest are computed over its moments
(``families/breakdowns``).

By a time dimension each moment lands where ``figures_sql`` buckets its figures: its event
(creations, resolutions, reopenings, CSAT, the backlog's changes), the reply of a known creation
(first response, SLA met) and its deadline (SLA breached). The same scan unfolds a creation row
into those landings (``ARRAY JOIN``), each carrying only its own figures; moments before the
range land in the opening (key ''), which the backlog of every bucket starts from.
"""

from __future__ import annotations

from pulse.families.breakdowns.run import breakdown
from pulse.families.breakdowns.spec import (
    Aggregate,
    BreakdownAnswer,
    BreakdownRequest,
    BreakdownSpec,
    Group,
)
from pulse.families.helpdesk.figures_sql import (
    BACKLOG_CHANGE,
    EARLIER_ANSWERED,
    FILTERS,
    OPENING,
    OPENING_AT,
    OPENING_DAYS,
    P50,
    P90,
    TARGET_SQL,
)
from pulse.families.helpdesk.model import HelpdeskFigures, HelpdeskQuery
from pulse.families.helpdesk.moments_sql import CREATED, CSAT, FINAL_SETTINGS, REOPENED, RESOLVED
from pulse.families.helpdesk.query import figures_of, filter_values, statement_params
from pulse.families.published_sql import mean_sql, rate_sql
from pulse.graphql.queries import Reader

# Pseudo kind of a known creation before the opening answered in the range: a first response
# and nothing else (its creation is in the backlog's day rows).
EARLIER_CREATION = 6

# The moments ``figures_sql`` reads (from the opening to the range's end, and the earlier
# creations answered in the range) in one read, and the backlog day rows before the opening.
_ROWS = f"""
    SELECT channel, org_unit, agent, priority,
        if(t < {OPENING_AT}, toUInt8({EARLIER_CREATION}), moment_kind) AS kind,
        value, reply_ms, first_resolution_ms, t, known_creation
    FROM (
        SELECT channel, org_unit, agent, priority, kind AS moment_kind, value, reply_ms,
            first_resolution_ms, t, known_creation
        FROM helpdesk_moments FINAL
        WHERE tenant_id = {{tenant_id:String}}
          AND t < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')
          AND (t >= {OPENING_AT} OR (kind = {CREATED} AND known_creation AND {EARLIER_ANSWERED}))
          {{filters}}
    )
    UNION ALL
    SELECT channel, org_unit, agent, priority, toUInt8({OPENING}), change,
        CAST(NULL, 'Nullable(Int64)'), CAST(NULL, 'Nullable(Int64)'),
        toDateTime64(day, 3, 'UTC'), toUInt8(0)
    {OPENING_DAYS}"""

_SOURCE = f"""
SELECT channel, org_unit, agent, priority, kind, value, reply_ms,
    t >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC') AS inside,
    kind IN ({CREATED}, {EARLIER_CREATION}) AND known_creation = 1 AS creation,
    toUnixTimestamp64Milli(t) AS created_ms,
    {TARGET_SQL} AS target,
    created_ms + target AS deadline_ms,
    creation AND ifNull(reply_ms >= {{from_ms:Int64}} AND reply_ms < {{to_ms:Int64}}, 0)
        AS answered,
    ifNull(reply_ms, 0) - created_ms AS frt,
    creation AND deadline_ms >= {{from_ms:Int64}} AND deadline_ms < {{to_ms:Int64}}
        AND deadline_ms <= {{as_of_ms:Int64}}
        AND ifNull(reply_ms > deadline_ms, 1)
        AND ifNull(first_resolution_ms >= deadline_ms, 1) AS breach
FROM ({_ROWS}
)
WHERE kind != {CSAT} OR inside
"""

# The moments of ``_SOURCE`` unfolded into landings (0: the event, 1: the first reply, 2: the
# deadline), each with only its own figures, for the time dimensions; ``landed_ms`` is where it
# lands. Constant arrays of landing numbers cost less to join than arrays built per row (-10 %
# at 1M events).
_LANDINGS_SOURCE = f"""
SELECT channel, org_unit, agent, priority, value, target, frt,
    multiIf(landing = 0, created_ms, landing = 1, assumeNotNull(reply_ms), deadline_ms)
        AS landed_ms,
    landing = 0 AS on_event,
    if(on_event, moment_kind, 0) AS kind,
    on_event AND moment_inside AS inside,
    on_event AND NOT moment_inside AS before_range,
    landing = 1 AS answered,
    landing = 2 AS breach
FROM (
    SELECT *, kind AS moment_kind, inside AS moment_inside, answered AS replied,
        breach AS breached
    FROM ({_SOURCE})
)
ARRAY JOIN multiIf(replied AND breached, [0, 1, 2], replied, [0, 1], breached, [0, 2], [0])
    AS landing
"""

_LANDED = "fromUnixTimestamp64Milli(landed_ms, 'UTC')"
# Each time dimension's key: the local bucket as ``figures_sql.START`` finds it ('' before the
# range). Hours carry their offset, so a fall-back's two 01:00 are two keys.
TIME_DIMENSIONS = {
    "hour": f"formatDateTime(toStartOfHour({_LANDED}, {{tz:String}}), '%Y-%m-%dT%H:%i:%S%z',"
    " {tz:String})",
    "day": f"toDate({_LANDED}, {{tz:String}})",
    "week": f"toMonday({_LANDED}, {{tz:String}})",
}

_RESOLUTION = f"kind = {RESOLVED} AND value >= 0 AND inside"
_CSAT = f"kind = {CSAT} AND inside"
_RANKS = f"{P50}, {P90}"


def _rank(ranks: str, n: str, at: int) -> str:
    return f"if({n} = 0, NULL, {ranks}[{at}])"


SPEC = BreakdownSpec(
    dimensions={
        **{d: d for d in ("channel", "org_unit", "agent", "priority")},
        **{d: f"if(before_range, '', toString({key}))" for d, key in TIME_DIMENSIONS.items()},
    },
    aggregates=(
        Aggregate("created", "countIf", f"kind = {CREATED} AND inside"),
        Aggregate("resolved", "countIf", f"kind = {RESOLVED} AND inside"),
        Aggregate("reopened", "countIf", f"kind = {REOPENED} AND inside"),
        Aggregate("res_n", "countIf", _RESOLUTION),
        Aggregate("res_total", "sumIf", f"value, {_RESOLUTION}"),
        Aggregate("res_ranks", "quantilesExactLowIf", f"value, {_RESOLUTION}", _RANKS),
        Aggregate("backlog_change", "sum", BACKLOG_CHANGE, running=True),
        Aggregate("csat_n", "countIf", _CSAT),
        Aggregate("csat_total", "sumIf", f"value, {_CSAT}"),
        Aggregate("csat_good", "countIf", f"{_CSAT} AND value >= 4"),
        Aggregate("frt_n", "countIf", "answered"),
        Aggregate("frt_total", "sumIf", "frt, answered"),
        Aggregate("frt_ranks", "quantilesExactLowIf", "frt, answered", _RANKS),
        Aggregate("met", "countIf", "answered AND frt <= target"),
        Aggregate("breached", "countIf", "breach"),
    ),
    figures={
        "conversations_created": "created",
        "conversations_resolved": "resolved",
        "conversations_reopened": "reopened",
        "first_responses": "frt_n",
        "frt_avg_seconds": mean_sql("frt_total", "frt_n", per=1000),
        "frt_p50_seconds": _rank("frt_ranks", "frt_n", 1),
        "frt_p90_seconds": _rank("frt_ranks", "frt_n", 2),
        "resolutions": "res_n",
        "resolution_avg_seconds": mean_sql("res_total", "res_n", per=1000),
        "resolution_p50_seconds": _rank("res_ranks", "res_n", 1),
        "resolution_p90_seconds": _rank("res_ranks", "res_n", 2),
        "sla_met": "met",
        "sla_breached": "breached",
        "sla_breach_rate": rate_sql("breached", "met + breached"),
        "backlog": "backlog_change",
        "csat_responses": "csat_n",
        "csat_avg": mean_sql("csat_total", "csat_n"),
        "csat_percent": rate_sql("csat_good", "csat_n"),
    },
    timeline=dict.fromkeys(TIME_DIMENSIONS, "landed_ms"),
    settings=FINAL_SETTINGS,
)


def helpdesk_breakdown(db: Reader, q: HelpdeskQuery, request: BreakdownRequest) -> BreakdownAnswer:
    """``q``'s figures over ``[q.from_ms, q.to_ms)`` broken down as ``request`` asks."""
    filters = "".join(FILTERS[name] for name in filter_values(q))
    source = _SOURCE if SPEC.time_dimension(request.by) is None else _LANDINGS_SOURCE
    return breakdown(db, SPEC, source.replace("{filters}", filters), statement_params(q), request)


def figures(group: Group) -> HelpdeskFigures:
    """A group's figures from its partial columns (none read: nothing); the backlog is that at
    the range's end, or at its bucket's end for a row of a time dimension."""
    counts: dict[str, int] = {}
    for aggregate in SPEC.aggregates:
        value = group.values.get(aggregate.name)
        if aggregate.name.endswith("_ranks"):
            ranks = aggregate.name.removesuffix("_ranks")
            counts[f"{ranks}_p50"], counts[f"{ranks}_p90"] = (int(v) for v in value or (0, 0))
        else:
            counts[aggregate.name] = int(value or 0)
    return figures_of(counts, counts["backlog_change"])
