"""The SQL of a web question: its figures by bucket and over the range, one statement.

Two scans, their partial counts added up per bucket (``GROUPING SETS``: per bucket and the whole
range, the latter under start ``-1``, so visitors over the range are distinct, never summed):

- ``web_sessions``: event rows by their own time (page views, visitors: distinct
  ``visitor_key``, the 128-bit hash ``uniqExact`` keeps of a String id anyway) and entry rows by
  their session's start (sessions, bounces, lengths), each under its filter (``filters_sql``);
- ``events_raw``: dnt page views by their own time, which belong to no session.

Every caller value is a ``{name:Type}`` parameter; bucket functions and filter clauses are fixed
text chosen by code.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulse.families.helpdesk.figures_sql import START
from pulse.families.helpdesk.model import Granularity
from pulse.families.web.filters_sql import dnt_filter, event_filter, session_filter
from pulse.families.web.model import Dimension

COUNTS = ("page_views", "visitors", "sessions", "bounces", "length_ms")

RANGE = (
    "{at} >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')"
    " AND {at} < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"
)
# A session of exactly one page view, without a web.event the tenant counts as engagement.
BOUNCE = "page_views = 1 AND NOT hasAny(event_names, {engaged:Array(String)})"
DNT_VIEWS = "tenant_id = {tenant_id:String} AND event_type = 'web.page_view' AND ifNull(dnt, false)"
# Both tables are partitioned by a function of a key column, so a row's versions never span two
# partitions: FINAL need not merge across them, and skips merging a partition of one part.
FINAL_SETTINGS = "SETTINGS do_not_merge_across_partitions_select_final = 1"

_FIGURES = """
SELECT start_s, sum(pv) AS page_views, sum(vis) AS visitors, sum(ses) AS sessions,
       sum(bou) AS bounces, sum(len) AS length_ms
FROM (
    SELECT if(grouping(b) = 0, b, -1) AS start_s,
        countIf(is_page_view = 1 AND counted) AS pv,
        uniqExactIf(visitor_key, counted) AS vis,
        countIf(opens) AS ses,
        countIf(opens AND bounce) AS bou,
        sumIf(length_ms, opens) AS len
    FROM (
        SELECT {bucket_t} AS b, is_page_view, visitor_key, length_ms,
            {event_f} AS counted,
            is_entry = 1 AND {session_f} AS opens,
            {bounce} AS bounce
        FROM web_sessions FINAL
        WHERE tenant_id = {tenant_id:String} AND {range_t}
    )
    WHERE counted OR opens
    GROUP BY GROUPING SETS ((b), ())
    UNION ALL
    SELECT if(grouping(b) = 0, b, -1) AS start_s, count() AS pv, 0 AS vis, 0 AS ses,
        0 AS bou, toInt64(0) AS len
    FROM (
        SELECT {bucket_raw} AS b
        FROM events_raw FINAL
        WHERE {dnt_views} AND {range_raw} AND {dnt_f}
    )
    GROUP BY GROUPING SETS ((b), ())
)
GROUP BY start_s
{final_settings}
"""


def figures_sql(granularity: Granularity, filters: Mapping[Dimension, str]) -> str:
    """The statement of a question's buckets and totals under ``filters`` (their values are
    parameters ``f_<dimension>``)."""
    parts = {
        "bucket_t": START[granularity].replace("{at}", "t"),
        "bucket_raw": START[granularity].replace("{at}", "occurred_at"),
        "range_t": RANGE.replace("{at}", "t"),
        "range_raw": RANGE.replace("{at}", "occurred_at"),
        "event_f": event_filter(filters),
        "session_f": session_filter(filters),
        "dnt_f": dnt_filter(filters),
        "bounce": BOUNCE,
        "dnt_views": DNT_VIEWS,
        "final_settings": FINAL_SETTINGS,
    }
    sql = _FIGURES
    for name, text in parts.items():
        sql = sql.replace("{" + name + "}", text)
    return sql
