"""Web questions answered from the slot rollups (``web_slots``) when they can be.

A rollup slot lies whole inside one bucket when the range and every bucket start on a quarter
hour (a zone's offsets are whole quarter hours, so its hours and days do), and it holds figures
without filters: so an unfiltered question on such a grid reads ~100 rows a day, and its visitors
stay exact and are counted, not merged: a slot keeps each visitor's gap to its previous slot, so a
visitor counts in a bucket (or the range) only at its first slot there. Any other question reads
``web_sessions`` (``figures_sql``, ``breakdown``), with the same results.
"""

from __future__ import annotations

from pulse.families.helpdesk.figures_sql import START
from pulse.families.helpdesk.model import Granularity
from pulse.families.web.figures_sql import FINAL_SETTINGS, RANGE
from pulse.families.web.model import Dimension, WebQuery

SLOT_MS = 900_000

# A one-view session is a bounce unless it holds a web.event the tenant counts as engaged.
_BOUNCES = (
    "sum(one_view) - sum(arrayCount(n -> hasAny(n, {engaged:Array(String)}), one_view_names))"
)

# Visitors whose gap reaches back before {start} (unix seconds): each counts once, at its first
# slot from {start} on.
_FIRST = (
    "arraySum((g, n) -> if(g > intDiv(toInt64(toUnixTimestamp(slot)) - {start}, 900), n, 0),"
    " gaps, gap_visitors)"
)
_FROM_S = "intDiv({from_ms:Int64}, 1000)"
# A row's figures under names no row column has, so the sums can take the columns' names.
_ROW = "page_views + dnt_views AS pv, sessions AS ses, length_ms AS len, one_view, one_view_names"

_SLOTS = """
    FROM web_slots FINAL
    WHERE tenant_id = {tenant_id:String} AND kind = {kind} AND {range_slot}
"""
_SLOT_ROWS = _SLOTS.replace("{kind}", "0")
_PAGE_ROWS = _SLOTS.replace("{kind}", "1")

_FIGURES = f"""
SELECT if(grouping(b) = 0, b, -1) AS start_s, sum(pv) AS page_views,
    if(grouping(b) = 0, sum(in_bucket), sum(in_range)) AS visitors, sum(ses) AS sessions,
    {_BOUNCES} AS bounces, sum(len) AS length_ms
FROM (SELECT {{bucket}} AS b, {_ROW},
             {_FIRST.replace("{start}", "b")} AS in_bucket,
             {_FIRST.replace("{start}", _FROM_S)} AS in_range
      {_SLOT_ROWS})
GROUP BY GROUPING SETS ((b), ())
{{final_settings}}
"""

# Page rows: views and viewers of the URL, sessions entering on it (``breakdown``'s PAGE).
_PAGES = f"""
SELECT value, sum(pv) AS page_views, sum(vis) AS visitors, sum(ses) AS sessions,
    {_BOUNCES} AS bounces, sum(len) AS length_ms
FROM (SELECT url AS value, {_ROW}, {_FIRST.replace("{start}", _FROM_S)} AS vis {_PAGE_ROWS})
GROUP BY value
HAVING page_views > 0 OR sessions > 0
ORDER BY visitors DESC, page_views DESC, value
LIMIT {{limit:UInt32}}
{{final_settings}}
"""


def answers_from_slots(q: WebQuery) -> bool:
    """Whether ``q``'s figures can be read from the rollups: no filters, a range and buckets on
    quarter hours."""
    edges = [q.from_ms, q.to_ms, *(b.start_ms for b in q.buckets)]
    return not q.filters and all(edge % SLOT_MS == 0 for edge in edges)


def slot_figures_sql(granularity: Granularity) -> str:
    """The figures statement (``figures_sql``'s columns) over the rollups."""
    bucket = START[granularity].replace("{at}", "slot")
    return _fill(_FIGURES.replace("{bucket}", bucket))


def slot_breakdown_sql(dimension: Dimension) -> str | None:
    """The breakdown statement over the rollups, for the dimensions they keep (``page``)."""
    if dimension != "page":
        return None
    return _fill(_PAGES)


def _fill(sql: str) -> str:
    return sql.replace("{range_slot}", RANGE.replace("{at}", "slot")).replace(
        "{final_settings}", FINAL_SETTINGS
    )
