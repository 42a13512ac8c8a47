"""A web breakdown: the figures of each value of one dimension over a range (Plausible's tables).

Three partial counts grouped by the dimension's value (``filters_sql`` says which column each
row kind reads) and added up: event rows give page views and visitors (distinct per value),
entry rows sessions, bounces and lengths (both from one scan), dnt page views their page views.
So the page views of a breakdown add up to the range's, and a session dimension's bounce rate is
that of the sessions with that value. Sorted by visitors, then page views (descending), then
value; ``limit`` rows.
"""

from __future__ import annotations

from pulse.families.web.figures_sql import BOUNCE, COUNTS, DNT_VIEWS, FINAL_SETTINGS, RANGE
from pulse.families.web.filters_sql import (
    DNT_COLUMN,
    EVENT_COLUMN,
    SESSION_COLUMN,
    dnt_filter,
    event_filter,
    filter_params,
    session_filter,
)
from pulse.families.web.model import BreakdownRow, Dimension, WebCounts, WebQuery
from pulse.families.web.query import question_params
from pulse.families.web.rollup_sql import answers_from_slots, slot_breakdown_sql
from pulse.graphql.queries import Reader

MAX_LIMIT = 1000

# One scan of web_sessions for both row kinds: an event row counts under its event column, an
# entry row under its session column. A row that is both has one value: the columns are the same
# for every dimension but PAGE, and an entry row that counts as a page view is its session's
# first page view, whose URL is the entry page.
_BREAKDOWN = """
SELECT value, sum(pv) AS page_views, sum(vis) AS visitors, sum(ses) AS sessions,
       sum(bou) AS bounces, sum(len) AS length_ms
FROM (
    SELECT value, countIf(is_page_view = 1 AND counted) AS pv,
        uniqExactIf(visitor_key, counted) AS vis, countIf(opens) AS ses,
        countIf(opens AND {bounce}) AS bou, sumIf(length_ms, opens) AS len
    FROM (
        SELECT is_page_view, visitor_key, page_views, length_ms, event_names,
            {event_f} AND {event_scope} AS counted,
            is_entry = 1 AND {session_f} AS opens,
            if(counted, toString({event_column}), toString({session_column})) AS value
        FROM web_sessions FINAL
        WHERE tenant_id = {tenant_id:String} AND {range_t}
    )
    WHERE counted OR opens
    GROUP BY value
    UNION ALL
    SELECT toString({dnt_column}) AS value, count() AS pv, 0 AS vis, 0 AS ses, 0 AS bou,
        toInt64(0) AS len
    FROM events_raw FINAL
    WHERE {dnt_views} AND {range_raw} AND {dnt_f}
    GROUP BY value
)
GROUP BY value
ORDER BY visitors DESC, page_views DESC, value
LIMIT {limit:UInt32}
{final_settings}
"""


def breakdown_sql(q: WebQuery, dimension: Dimension) -> str:
    """The statement of ``dimension``'s breakdown of ``q`` (filters included)."""
    parts = {
        "event_column": EVENT_COLUMN[dimension],
        "session_column": SESSION_COLUMN[dimension],
        "dnt_column": DNT_COLUMN[dimension],
        # Visitors of a page are those who viewed it.
        "event_scope": "is_page_view = 1" if dimension == "page" else "1",
        "range_t": RANGE.replace("{at}", "t"),
        "range_raw": RANGE.replace("{at}", "occurred_at"),
        "event_f": event_filter(q.filters),
        "session_f": session_filter(q.filters),
        "dnt_f": dnt_filter(q.filters),
        "bounce": BOUNCE,
        "dnt_views": DNT_VIEWS,
        "final_settings": FINAL_SETTINGS,
    }
    sql = _BREAKDOWN
    for name, text in parts.items():
        sql = sql.replace("{" + name + "}", text)
    return sql


def web_breakdown(db: Reader, q: WebQuery, dimension: Dimension, limit: int) -> list[BreakdownRow]:
    """The ``limit`` first values of ``dimension`` over ``q``'s range, with their counts."""
    params = {**question_params(q), **filter_params(q.filters), "limit": limit}
    sql = (answers_from_slots(q) and slot_breakdown_sql(dimension)) or breakdown_sql(q, dimension)
    return [
        BreakdownRow(str(row["value"]), WebCounts(**{c: int(row[c]) for c in COUNTS}))
        for row in db.query(sql, params)
    ]
