"""Views of daily figures for tools that read ClickHouse themselves (Grafana, Metabase).

Plain views (no storage of their own) over the tables the API answers from, per UTC day, with
METRICS.md's definitions: counts as stored (``FINAL``), rates in percent rounded half away
from zero to 2 decimals and null over a zero denominator, means in seconds to 3 decimals,
percentiles by nearest rank. docs/CONNECTORS.md shows how each tool connects and queries them.

- ``messaging_daily``: the messaging counts and rates per tenant, day and channel;
- ``campaign_daily``: the same per tenant, day and campaign (messages carrying a campaign_id);
- ``helpdesk_daily``: conversations created, resolved and reopened, resolutions, first
  responses (in the day of the reply, as the API lands them) and CSAT, per tenant and day;
- ``web_daily``: page views (dnt ones included), visitors, sessions (in the day they start)
  and their mean length, per tenant and day. No bounce rate: it depends on each tenant's
  engaged events, which live in the tenants topic, not in ClickHouse.

A day still receiving events (or late ones, within PULSE_API_LATE_WINDOW_SECONDS of its end)
changes when they are stored; the API's ``provisional`` flag says which days those are.
"""

from pulse.families.helpdesk.figures_sql import P50, P90
from pulse.families.helpdesk.moments_sql import CREATED, CSAT, REOPENED, RESOLVED
from pulse.families.messaging.model import COUNTS


def _rate(numerator: str, denominator: str) -> str:
    # Decimal division truncates at 6 places, which never moves a value across a rounding
    # boundary of 2 or 3 places; ClickHouse rounds Decimals half away from zero.
    return (
        f"if({denominator} = 0, NULL,"
        f" toFloat64(round(toDecimal128({numerator} * 100, 6) / {denominator}, 2)))"
    )


def _mean(total: str, count: str, unit: int) -> str:
    return (
        f"if({count} = 0, NULL, toFloat64(round(toDecimal128({total}, 6) / ({count} * {unit}), 3)))"
    )


_SUMS = ", ".join(f"toInt64(sum({c})) AS {c}" for c in COUNTS)
_RATES = ", ".join(
    (
        _rate("delivered", "sent") + " AS delivery_rate",
        _rate("read", "delivered") + " AS read_rate",
        _rate("clicked", "delivered") + " AS click_rate",
        _rate("failed", "sent") + " AS failure_rate",
    )
)


def _messaging_view(name: str, dimension: str, where: str) -> str:
    return f"""
    CREATE VIEW IF NOT EXISTS {{db}}.{name} AS
    SELECT *, {_RATES}
    FROM (
        SELECT toString(tenant_id) AS tenant_id, toDate(slot) AS day,
               toString({dimension}) AS {dimension}, {_SUMS}
        FROM {{db}}.messaging_slots FINAL
        WHERE {where}
        GROUP BY tenant_id, day, {dimension}
    )
    """


_HELPDESK_COLUMNS = (
    "created",
    "resolved",
    "reopened",
    "res_n",
    "res_total",
    "csat_n",
    "csat_total",
    "csat_good",
    "frt_n",
    "frt_total",
)
_RES = f"kind = {RESOLVED} AND value >= 0"


def _helpdesk_part(given: dict[str, str], ranks: str) -> str:
    columns = ", ".join(f"toInt64({given.get(c, '0')}) AS {c}" for c in _HELPDESK_COLUMNS)
    return f"{columns}, {ranks}"


_EVENTS = _helpdesk_part(
    {
        "created": f"countIf(kind = {CREATED})",
        "resolved": f"countIf(kind = {RESOLVED})",
        "reopened": f"countIf(kind = {REOPENED})",
        "res_n": f"countIf({_RES})",
        "res_total": f"sumIf(value, {_RES})",
        "csat_n": f"countIf(kind = {CSAT})",
        "csat_total": f"sumIf(value, kind = {CSAT})",
        "csat_good": f"countIf(kind = {CSAT} AND value >= 4)",
    },
    f"arrayMap(x -> toInt64(x), quantilesExactLowIf({P50}, {P90})(value, {_RES})) AS res_ranks,"
    " []::Array(Int64) AS frt_ranks",
)
_REPLIES = _helpdesk_part(
    {"frt_n": "count()", "frt_total": "sum(reply_ms - toUnixTimestamp64Milli(t))"},
    "[]::Array(Int64) AS res_ranks, arrayMap(x -> toInt64(x),"
    f" quantilesExactLow({P50}, {P90})(reply_ms - toUnixTimestamp64Milli(t))) AS frt_ranks",
)
# Each (tenant, day) has one row of each part; the other part's ranks are empty, so max() picks
# the part's own. Without values, quantiles are 0: the count says whether there are any.
_SECONDS = "if({count} = 0, NULL, toFloat64(max({ranks})[{i}]) / 1000)"

_HELPDESK_DAILY = f"""
    CREATE VIEW IF NOT EXISTS {{db}}.helpdesk_daily AS
    SELECT
        tenant_id, day,
        sum(created) AS conversations_created,
        sum(resolved) AS conversations_resolved,
        sum(reopened) AS conversations_reopened,
        sum(frt_n) AS first_responses,
        {_mean("sum(frt_total)", "sum(frt_n)", 1000)} AS frt_avg_seconds,
        {_SECONDS.format(count="sum(frt_n)", ranks="frt_ranks", i=1)} AS frt_p50_seconds,
        {_SECONDS.format(count="sum(frt_n)", ranks="frt_ranks", i=2)} AS frt_p90_seconds,
        sum(res_n) AS resolutions,
        {_mean("sum(res_total)", "sum(res_n)", 1000)} AS resolution_avg_seconds,
        {_SECONDS.format(count="sum(res_n)", ranks="res_ranks", i=1)} AS resolution_p50_seconds,
        {_SECONDS.format(count="sum(res_n)", ranks="res_ranks", i=2)} AS resolution_p90_seconds,
        sum(csat_n) AS csat_responses,
        {_mean("sum(csat_total)", "sum(csat_n)", 1)} AS csat_avg,
        {_rate("sum(csat_good)", "sum(csat_n)")} AS csat_percent
    FROM (
        SELECT toString(tenant_id) AS tenant_id, toDate(t) AS day, {_EVENTS}
        FROM {{db}}.helpdesk_moments FINAL
        GROUP BY tenant_id, day
        UNION ALL
        SELECT toString(tenant_id) AS tenant_id,
               toDate(fromUnixTimestamp64Milli(assumeNotNull(reply_ms), 'UTC')) AS day,
               {_REPLIES}
        FROM {{db}}.helpdesk_moments FINAL
        WHERE kind = {CREATED} AND known_creation AND reply_ms IS NOT NULL
        GROUP BY tenant_id, day
    )
    GROUP BY tenant_id, day
"""

_WEB_DAILY = f"""
    CREATE VIEW IF NOT EXISTS {{db}}.web_daily AS
    SELECT
        tenant_id, day,
        sum(pv) AS page_views,
        sum(vis) AS visitors,
        sum(ses) AS sessions,
        {_mean("sum(len)", "sum(ses)", 1000)} AS avg_session_seconds
    FROM (
        SELECT toString(tenant_id) AS tenant_id, toDate(t) AS day,
               toInt64(countIf(is_page_view = 1)) AS pv,
               toInt64(uniqExact(visitor_key)) AS vis,
               toInt64(countIf(is_entry = 1)) AS ses,
               toInt64(sumIf(length_ms, is_entry = 1)) AS len
        FROM {{db}}.web_sessions FINAL
        GROUP BY tenant_id, day
        UNION ALL
        -- dnt page views count, and belong to no visitor or session.
        SELECT toString(tenant_id) AS tenant_id, toDate(occurred_at) AS day,
               toInt64(count()) AS pv, toInt64(0) AS vis, toInt64(0) AS ses, toInt64(0) AS len
        FROM {{db}}.events_raw FINAL
        WHERE event_type = 'web.page_view' AND ifNull(dnt, false)
        GROUP BY tenant_id, day
    )
    GROUP BY tenant_id, day
"""

FORWARDS = [
    _messaging_view("messaging_daily", "channel", "1"),
    _messaging_view("campaign_daily", "campaign_id", "campaign_id != ''"),
    _HELPDESK_DAILY,
    _WEB_DAILY,
]

BACKWARDS = [
    "DROP VIEW IF EXISTS {db}.web_daily",
    "DROP VIEW IF EXISTS {db}.helpdesk_daily",
    "DROP VIEW IF EXISTS {db}.campaign_daily",
    "DROP VIEW IF EXISTS {db}.messaging_daily",
]
