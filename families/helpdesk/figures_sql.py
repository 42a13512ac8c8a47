"""The SQL of a helpdesk question over ``helpdesk_moments``: two scans in one statement.

Both read the moments from the *opening* (``{opening_ms}``: the UTC day holding the range's
start less the longest SLA target, ``query.opening_ms``) to the range's end, so a question
costs what its range holds, not the tenant's whole history:

- ``events``: those moments grouped by the bucket of their event (``GROUPING SETS``: per bucket
  and the whole range); moments before the range, and the ``helpdesk_backlog_days`` rows of the
  days before the opening (pseudo kind :data:`OPENING`, their change in ``value``), fall into
  the bucket ``-1`` that opens the backlog.
- ``replies`` / ``deadlines``: the known creation rows, grouped by the bucket of their first
  reply (first response, SLA met against the question's target) and by the bucket of their
  deadline (SLA breached: by ``asOf``, no reply by the deadline, no resolution in
  [creation, deadline)), and over the whole range. A creation before the opening can only be
  answered in the range (its deadline passed before the range starts): those are found through
  the ``reply_ms`` index (m0019).

Every caller value is a ``{name:Type}`` parameter; the bucket function (by granularity) and the
filter clauses are fixed text chosen by code.
"""

from __future__ import annotations

from pulse.families.helpdesk.moments_sql import CREATED, CSAT, REOPENED, RESOLVED

# The start of the bucket holding the UTC DateTime64 ``{at}``, as UTC seconds.
START = {
    "hour": "toUnixTimestamp(toStartOfHour({at}, {tz:String}))",
    "day": "toUnixTimestamp(toStartOfDay({at}, {tz:String}))",
    "week": "toUnixTimestamp(toDateTime(toMonday({at}, {tz:String}), {tz:String}))",
    "month": "toUnixTimestamp(toDateTime(toStartOfMonth({at}, {tz:String}), {tz:String}))",
}

FILTERS = {
    "channel": " AND channel = {channel:String}",
    "priority": " AND priority = {priority:String}",
    "agent": " AND agent = {agent:String}",
    "org_unit": " AND org_unit = {org_unit:String}",
    "org_units": " AND org_unit IN {org_units:Array(String)}",
}

# Nearest rank ceil(p/100 · n) (1-based) without sorting: quantilesExactLow selects the element
# at 0-based floor(level · n) (nth_element), except at 0.5 where it takes the lower median, which
# is the nearest rank. For p90 the level sits just below 0.9 so that floor(level · n) is
# ceil(0.9 · n) - 1 for every n below 10^9 (``tests/families/test_helpdesk_ranks.py``).
P50 = "0.5"
P90 = "0.89999999999"

# The question's first-response target of a row's priority.
TARGET_SQL = """multiIf(
    priority = 'urgent', {sla_urgent:Int64},
    priority = 'high', {sla_high:Int64},
    priority = 'low', {sla_low:Int64},
    {sla_normal:Int64})"""
_FROM = "fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')"
OPENING_AT = "fromUnixTimestamp64Milli({opening_ms:Int64}, 'UTC')"
# Pseudo kind of a backlog day row among moments (the moments use 1-4, a breakdown landing 0):
# ``value`` is the day's change.
OPENING = 5
_TO = "fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"
_ZERO = "toInt64(0)"

# Columns of both scans, in order; a scan gives zero for those of the other.
COLUMNS = (
    "created",
    "resolved",
    "reopened",
    "res_n",
    "res_total",
    "res_p50",
    "res_p90",
    "backlog_change",
    "csat_n",
    "csat_total",
    "csat_good",
    "frt_n",
    "frt_total",
    "frt_p50",
    "frt_p90",
    "met",
    "breached",
)


def _columns(given: dict[str, str]) -> str:
    return ",\n    ".join(f"toInt64({given.get(c, _ZERO)}) AS {c}" for c in COLUMNS)


def _partials(given: dict[str, str]) -> str:
    return ",\n        ".join(f"{expression} AS part_{name}" for name, expression in given.items())


# What a moment (or a day row before the opening) adds to the backlog.
BACKLOG_CHANGE = (
    f"multiIf(kind IN ({CREATED}, {REOPENED}), 1, kind = {RESOLVED}, -1,"
    f" kind = {OPENING}, value, 0)"
)

# The backlog day rows before the opening (their day as ``t``).
OPENING_DAYS = f"""
    FROM helpdesk_backlog_days FINAL
    WHERE tenant_id = {{tenant_id:String}} AND day < toDate({OPENING_AT}, 'UTC') {{filters}}"""
OPENING_ROWS = f"""
    SELECT toUInt8({OPENING}) AS kind, change AS value, toDateTime64(day, 3, 'UTC') AS t
    {OPENING_DAYS}"""

# Each scan aggregates in two steps: per bucket key in one pass over the rows (partial counts and
# percentile states), then the few partial rows into the grouping sets, so a row feeds one hash
# table instead of one per grouping set.
_RES = f"kind = {RESOLVED} AND value >= 0 AND inside"
_EVENT_PARTIALS = _partials(
    {
        "created": f"countIf(kind = {CREATED} AND inside)",
        "resolved": f"countIf(kind = {RESOLVED} AND inside)",
        "reopened": f"countIf(kind = {REOPENED} AND inside)",
        "res_n": f"countIf({_RES})",
        "res_total": f"sumIf(value, {_RES})",
        "res_ranks": f"quantilesExactLowStateIf({P50}, {P90})(value, {_RES})",
        "backlog_change": f"sum({BACKLOG_CHANGE})",
        "csat_n": f"countIf(kind = {CSAT} AND inside)",
        "csat_total": f"sumIf(value, kind = {CSAT} AND inside)",
        "csat_good": f"countIf(kind = {CSAT} AND value >= 4 AND inside)",
    }
)
_EVENT_COUNTS = (
    "created",
    "resolved",
    "reopened",
    "res_n",
    "res_total",
    "backlog_change",
    "csat_n",
    "csat_total",
    "csat_good",
)
_RES_RANKS = f"quantilesExactLowMerge({P50}, {P90})(part_res_ranks)"
_EVENTS = _columns(
    {
        **{c: f"sum(part_{c})" for c in _EVENT_COUNTS},
        "res_p50": f"{_RES_RANKS}[1]",
        "res_p90": f"{_RES_RANKS}[2]",
    }
)
_CREATION_PARTIALS = _partials(
    {
        "frt_n": "countIf(answered)",
        "frt_total": "sumIf(frt, answered)",
        "frt_ranks": f"quantilesExactLowStateIf({P50}, {P90})(frt, answered)",
        "met": "countIf(answered AND frt <= target)",
        "breached": "countIf(breach)",
    }
)
_FRT_RANKS = f"quantilesExactLowMerge({P50}, {P90})(part_frt_ranks)"
_CREATIONS = _columns(
    {
        **{c: f"sum(part_{c})" for c in ("frt_n", "frt_total", "met", "breached")},
        "frt_p50": f"{_FRT_RANKS}[1]",
        "frt_p90": f"{_FRT_RANKS}[2]",
    }
)

# The instants of known creations before the opening whose first reply falls in the range (their
# deadline passed before it). The reply index finds rows of any version with such a reply when
# read without FINAL (FINAL widens what an index keeps to every part overlapping it); the
# creations scan then reads the latest version of those instants and judges it again.
_EARLIER_REPLY = (
    f"tenant_id = {{tenant_id:String}} AND kind = {CREATED} AND t < {OPENING_AT}"
    " AND reply_ms >= {from_ms:Int64} AND reply_ms < {to_ms:Int64}"
)
EARLIER_ANSWERED = f"t IN (SELECT t FROM helpdesk_moments WHERE {_EARLIER_REPLY})"

FIGURES_SQL = f"""
SELECT
    if(grouping(b) = 0, 'events', 'total') AS grouped,
    b AS start_ms,
    {_EVENTS}
FROM (
    SELECT
        b,
        {_EVENT_PARTIALS}
    FROM (
        SELECT kind, value, t >= {_FROM} AS inside,
               if(inside, toInt64({{start_of_t}}) * 1000, toInt64(-1)) AS b
        FROM (
            SELECT kind, value, t
            FROM helpdesk_moments FINAL
            WHERE tenant_id = {{tenant_id:String}} AND t >= {OPENING_AT} AND t < {_TO}
              AND (kind != {CSAT} OR t >= {_FROM}) {{filters}}
            UNION ALL{OPENING_ROWS}
        )
    )
    GROUP BY b
)
GROUP BY GROUPING SETS ((b), ())
UNION ALL
SELECT
    multiIf(grouping(rb) = 0, 'replies', grouping(db) = 0, 'deadlines', 'total') AS grouped,
    if(grouping(rb) = 0, rb, db) AS start_ms,
    {_CREATIONS}
FROM (
    SELECT
        rb,
        db,
        {_CREATION_PARTIALS}
    FROM (
        SELECT
            toUnixTimestamp64Milli(t) AS created_ms,
            {TARGET_SQL} AS target,
            created_ms + target AS deadline_ms,
            ifNull(reply_ms >= {{from_ms:Int64}} AND reply_ms < {{to_ms:Int64}}, 0) AS answered,
            ifNull(reply_ms, 0) - created_ms AS frt,
            if(answered, toInt64({{start_of_reply}}) * 1000, toInt64(-1)) AS rb,
            deadline_ms >= {{from_ms:Int64}} AND deadline_ms < {{to_ms:Int64}}
                AND deadline_ms <= {{as_of_ms:Int64}}
                AND ifNull(reply_ms > deadline_ms, 1)
                AND ifNull(first_resolution_ms >= deadline_ms, 1) AS breach,
            if(breach, toInt64({{start_of_deadline}}) * 1000, toInt64(-1)) AS db
        FROM helpdesk_moments FINAL
        WHERE tenant_id = {{tenant_id:String}} AND kind = {CREATED} AND known_creation
          AND t < {_TO} AND (t >= {OPENING_AT} OR {EARLIER_ANSWERED}) {{filters}}
          AND (answered OR breach)
    )
    GROUP BY rb, db
)
GROUP BY GROUPING SETS ((rb), (db), ())
"""


def figures_sql(granularity: str, filters: str) -> str:
    """The statement for buckets of ``granularity`` with the filter clauses ``filters``."""
    start = START[granularity]
    return (
        FIGURES_SQL.replace("{start_of_t}", start.replace("{at}", "t"))
        .replace("{start_of_reply}", start.replace("{at}", _ms("reply_ms")))
        .replace("{start_of_deadline}", start.replace("{at}", _ms("deadline_ms")))
        .replace("{filters}", filters)
    )


def _ms(column: str) -> str:
    return f"fromUnixTimestamp64Milli(assumeNotNull({column}), 'UTC')"
