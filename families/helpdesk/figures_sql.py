"""The SQL of a helpdesk question over ``helpdesk_moments``: what stretches of its grid hold.

A question is answered per bucket (``answers.py``), so that a bucket whose figures cannot have
changed is not read again. Two statements read the buckets asked for (*runs* of consecutive
buckets, OR-ed key ranges) and return a row per bucket start with its counts and sums and the
values its exact percentiles and SLA breaches need:

- ``EVENTS_SQL``: the moments of the runs grouped by the bucket of their event; with the
  *opening* asked for, also the moments from the opening (``{opening_ms}``: the UTC day holding
  the range's start less the longest SLA target, ``query.opening_ms``) to the range's start, and
  the ``helpdesk_backlog_days`` rows of the days before it (pseudo kind :data:`OPENING`, their
  change in ``value``), all in the bucket ``-1`` that opens the backlog;
- ``CREATIONS_SQL``: the known creation rows whose first reply falls in a run (first response,
  SLA met against the question's target), grouped by the reply's bucket, and those whose
  deadline falls in one with no reply by the deadline and no resolution in [creation,
  deadline), by the deadline's bucket, with their deadlines: a breach counts once ``asOf``
  reaches its deadline, so the same row answers any ``asOf``. A creation older than the
  opening of the runs can only be answered in them (its deadline passed before): those are
  found through the ``reply_ms`` index (m0019).

Every caller value is a ``{name:Type}`` parameter; the bucket function (by granularity), the runs
and the filter clauses are fixed text chosen by code.
"""

from __future__ import annotations

from pulse.families.helpdesk.conversations_sql import target_sql
from pulse.families.helpdesk.moments_sql import CREATED, CSAT, FINAL_SETTINGS, REOPENED, RESOLVED

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
TARGET_SQL = target_sql("priority")
FROM_AT = "fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')"
OPENING_AT = "fromUnixTimestamp64Milli({opening_ms:Int64}, 'UTC')"
# Pseudo kind of a backlog day row among moments (the moments use 1-4, a breakdown landing 0):
# ``value`` is the day's change.
OPENING = 5
_TO = "fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"

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

# The instants of known creations before the opening whose first reply falls in the range (their
# deadline passed before it). The reply index finds rows of any version with such a reply when
# read without FINAL (FINAL widens what an index keeps to every part overlapping it); the
# creations scan then reads the latest version of those instants and judges it again. None
# waited longer for its reply than the tenant's longest wait (m0022), so none lies further
# before the range: the weeks before that are not opened.
LONGEST_WAIT = (
    "(SELECT ifNull(maxMerge(wait_ms), 0) FROM helpdesk_longest_waits"
    " WHERE tenant_id = {tenant_id:String})"
)
# No creation waited longer for its first reply than this before ``from_ms``.
EARLIEST_CREATION_AT = (
    f"fromUnixTimestamp64Milli(greatest({{from_ms:Int64}} - {LONGEST_WAIT}, 0), 'UTC')"
)
_EARLIER_REPLY = (
    f"tenant_id = {{tenant_id:String}} AND kind = {CREATED} AND t < {OPENING_AT}"
    f" AND t >= {EARLIEST_CREATION_AT}"
    " AND reply_ms >= {from_ms:Int64} AND reply_ms < {to_ms:Int64}"
)
EARLIER_ANSWERED = f"t IN (SELECT t FROM helpdesk_moments WHERE {_EARLIER_REPLY})"

_RES = f"kind = {RESOLVED} AND value >= 0 AND inside"

# A bucket's counts and sums, its resolution times and the backlog's change.
EVENTS_SQL = f"""
SELECT
    b AS start_ms,
    countIf(kind = {CREATED} AND inside) AS created,
    countIf(kind = {RESOLVED} AND inside) AS resolved,
    countIf(kind = {REOPENED} AND inside) AS reopened,
    countIf({_RES}) AS res_n,
    sumIf(value, {_RES}) AS res_total,
    groupArrayIf(value, {_RES}) AS resolutions,
    sum({BACKLOG_CHANGE}) AS backlog_change,
    countIf(kind = {CSAT} AND inside) AS csat_n,
    sumIf(value, kind = {CSAT} AND inside) AS csat_total,
    countIf(kind = {CSAT} AND value >= 4 AND inside) AS csat_good
FROM (
    SELECT kind, value, t >= {FROM_AT} AS inside,
           if(inside, toInt64({{start_of_t}}) * 1000, toInt64(-1)) AS b
    FROM (
        SELECT kind, value, t
        FROM helpdesk_moments FINAL
        WHERE tenant_id = {{tenant_id:String}} AND ({{runs_of_t}})
          AND (kind != {CSAT} OR t >= {FROM_AT}) {{filters}}
        {{opening}}
    )
)
GROUP BY b
{FINAL_SETTINGS}
"""

# The known creations answered or breaching in the runs, by the bucket of each (``-1``: not).
CREATIONS_SQL = f"""
SELECT
    rb AS reply_start_ms,
    db AS deadline_start_ms,
    countIf(answered) AS frt_n,
    sumIf(frt, answered) AS frt_total,
    groupArrayIf(frt, answered) AS first_responses,
    countIf(answered AND frt <= target) AS met,
    groupArrayIf(deadline_ms, late) AS deadlines
FROM (
    SELECT
        toUnixTimestamp64Milli(t) AS created_ms,
        {TARGET_SQL} AS target,
        created_ms + target AS deadline_ms,
        ifNull({{runs_of_reply}}, 0) AS answered,
        ifNull(reply_ms, 0) - created_ms AS frt,
        if(answered, toInt64({{start_of_reply}}) * 1000, toInt64(-1)) AS rb,
        ({{runs_of_deadline}})
            AND ifNull(reply_ms > deadline_ms, 1)
            AND ifNull(first_resolution_ms >= deadline_ms, 1) AS late,
        if(late, toInt64({{start_of_deadline}}) * 1000, toInt64(-1)) AS db
    FROM helpdesk_moments FINAL
    WHERE tenant_id = {{tenant_id:String}} AND kind = {CREATED} AND known_creation
      AND t < {_TO} AND (t >= {OPENING_AT} OR {EARLIER_ANSWERED}) {{filters}}
      AND (answered OR late)
)
GROUP BY rb, db
{FINAL_SETTINGS}
"""

# One run ``{i}``: ``[run_from_{i}, run_to_{i})`` in milliseconds, of an Int64 column or of
# ``t`` (compared as DateTime64, so the primary key keeps only the runs' ranges).
_RUN = "({at} >= {{run_from_{i}:Int64}} AND {at} < {{run_to_{i}:Int64}})"
_T_RUN = (
    "(t >= fromUnixTimestamp64Milli({{run_from_{i}:Int64}}, 'UTC')"
    " AND t < fromUnixTimestamp64Milli({{run_to_{i}:Int64}}, 'UTC'))"
)
_OPENING_RUN = "(t >= " + OPENING_AT + " AND t < " + FROM_AT + ")"


def _runs(run: str, count: int, at: str = "t") -> str:
    return " OR ".join(run.format(at=at, i=i) for i in range(count)) or "0"


def events_sql(granularity: str, filters: str, runs: int, opening: bool) -> str:
    """``EVENTS_SQL`` over ``runs`` runs of buckets of ``granularity``, and the opening."""
    of_t = [_runs(_T_RUN, runs)] if runs else []
    return (
        EVENTS_SQL.replace("{start_of_t}", START[granularity].replace("{at}", "t"))
        .replace("{runs_of_t}", " OR ".join(of_t + ([_OPENING_RUN] if opening else [])))
        .replace("{opening}", f"UNION ALL{OPENING_ROWS}" if opening else "")
        .replace("{filters}", filters)
    )


def creations_sql(granularity: str, filters: str, runs: int) -> str:
    """``CREATIONS_SQL`` over ``runs`` runs of buckets of ``granularity``; its ``from_ms`` and
    ``to_ms`` span the runs, its ``opening_ms`` is theirs."""
    start = START[granularity]
    return (
        CREATIONS_SQL.replace("{runs_of_reply}", _runs(_RUN, runs, "reply_ms"))
        .replace("{runs_of_deadline}", _runs(_RUN, runs, "deadline_ms"))
        .replace("{start_of_reply}", start.replace("{at}", _ms("reply_ms")))
        .replace("{start_of_deadline}", start.replace("{at}", _ms("deadline_ms")))
        .replace("{filters}", filters)
    )


def _ms(column: str) -> str:
    return f"fromUnixTimestamp64Milli(assumeNotNull({column}), 'UTC')"
