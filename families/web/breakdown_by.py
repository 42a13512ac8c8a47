"""Web breakdowns by one or two dimensions, on the shared mechanism (``families/breakdowns``).

The rows are those of ``breakdown.py``'s one-dimension list: event rows (page views, visitors)
valued by their event column, entry rows (sessions, bounces, lengths) by their session column,
dnt page views by their own fields (``filters_sql``); by ``page`` (either dimension), visitors
are those who viewed the page. Visitors are distinct per group and over ``other`` and the
total (states merged, never summed); page views, sessions, bounces and lengths add up.
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
from pulse.families.published_sql import mean_sql, rate_sql
from pulse.families.web.figures_sql import BOUNCE, COUNTS, DNT_VIEWS, FINAL_SETTINGS, RANGE
from pulse.families.web.filters_sql import (
    DNT_COLUMN,
    EVENT_COLUMN,
    SESSION_COLUMN,
    dnt_filter,
    event_filter,
    session_filter,
)
from pulse.families.web.model import DIMENSIONS, WebCounts, WebQuery
from pulse.families.web.query import question_params
from pulse.graphql.queries import Reader

_SESSION_VALUES = ", ".join(
    f"if(counted, toString({EVENT_COLUMN[d]}), toString({SESSION_COLUMN[d]})) AS dim_{d}"
    for d in DIMENSIONS
)
_DNT_VALUES = ", ".join(f"toString({DNT_COLUMN[d]}) AS dim_{d}" for d in DIMENSIONS)

_SOURCE = f"""
SELECT * FROM (
    SELECT toUInt64(is_page_view = 1 AND counted) AS pv, visitor_key, counted, opens,
        toUInt8({{bounce}}) AS bounce, toInt64(length_ms) AS length_ms, {_SESSION_VALUES}
    FROM (
        SELECT *, visitor_key, toUInt8({{event_f}} AND {{event_scope}}) AS counted,
            toUInt8(is_entry = 1 AND {{session_f}}) AS opens
        FROM web_sessions FINAL
        WHERE tenant_id = {{tenant_id:String}} AND {{range_t}}
    )
    WHERE counted OR opens
    UNION ALL
    SELECT toUInt64(1) AS pv, toUInt128(0) AS visitor_key, toUInt8(0) AS counted,
        toUInt8(0) AS opens, toUInt8(0) AS bounce, toInt64(0) AS length_ms, {_DNT_VALUES}
    FROM events_raw FINAL
    WHERE {{dnt_views}} AND {{range_raw}} AND {{dnt_f}}
)
{{final_settings}}
"""

SPEC = BreakdownSpec(
    dimensions={d: f"dim_{d}" for d in DIMENSIONS},
    aggregates=(
        Aggregate("page_views", "sum", "pv"),
        Aggregate("visitors", "uniqExactIf", "visitor_key, counted"),
        Aggregate("sessions", "countIf", "opens"),
        Aggregate("bounces", "countIf", "opens AND bounce"),
        Aggregate("length_ms", "sumIf", "length_ms, opens"),
    ),
    figures={
        "page_views": "page_views",
        "visitors": "visitors",
        "sessions": "sessions",
        "bounce_rate": rate_sql("bounces", "sessions"),
        "avg_session_seconds": mean_sql("length_ms", "sessions", per=1000),
    },
)


def _source(q: WebQuery, request: BreakdownRequest) -> str:
    parts = {
        # Visitors of a page are those who viewed it.
        "event_scope": "is_page_view = 1" if "page" in request.by else "1",
        "range_t": RANGE.replace("{at}", "t"),
        "range_raw": RANGE.replace("{at}", "occurred_at"),
        "event_f": event_filter(q.filters),
        "session_f": session_filter(q.filters),
        "dnt_f": dnt_filter(q.filters),
        "bounce": BOUNCE,
        "dnt_views": DNT_VIEWS,
        "final_settings": FINAL_SETTINGS,
    }
    sql = _SOURCE
    for name, text in parts.items():
        sql = sql.replace("{" + name + "}", text)
    return sql


def web_breakdown_by(db: Reader, q: WebQuery, request: BreakdownRequest) -> BreakdownAnswer:
    """``q``'s figures over its range broken down as ``request`` asks."""
    return breakdown(db, SPEC, _source(q, request), question_params(q), request)


def counts(group: Group) -> WebCounts:
    return WebCounts(**{c: int(group.values.get(c, 0)) for c in COUNTS})
