"""Web questions answered from the slot rollups (``web_slots``) when they can be.

A rollup slot lies whole inside one bucket when the range and every bucket start on a quarter
hour (a zone's offsets are whole quarter hours, so its hours and days do), and it holds figures
without filters: so an unfiltered question on such a grid reads ~100 rows a day, and its visitors
stay exact and are counted, not merged: a slot keeps its visitors by their gap to their previous
slot (distinct gaps, and the visitors of each), so a visitor counts in a bucket (or the range)
only at its first slot there. dnt page views are rows of their own, summed with the others. Any
other question reads ``web_sessions`` (``figures_sql``, ``breakdown``), with the same results.
"""

from __future__ import annotations

from pulse.families.helpdesk.figures_sql import START
from pulse.families.helpdesk.model import Granularity
from pulse.families.web.figures_sql import FINAL_SETTINGS, RANGE
from pulse.families.web.model import Dimension, WebQuery
from pulse.families.web.slots_sql import DNT_PAGE, DNT_SLOT

SLOT_MS = 900_000

# A one-view session is a bounce unless it holds a web.event the tenant counts as engaged.
_BOUNCES = (
    "sum(one_view) - sum(arrayCount(n -> hasAny(n, {engaged:Array(String)}), one_view_names))"
)

# Visitors whose gap reaches back before {start} (unix seconds): each counts once, at its first
# slot from {start} on. A row written by a sink older than m0018 (during a rolling upgrade)
# holds a gap per visitor and no ``gap_visitors``: each of its gaps is one visitor.
_FIRST = (
    "arraySum((g, n) -> if(g > intDiv(toInt64(toUnixTimestamp(slot)) - {start}, 900), n, 0),"
    " gaps, if(length(gap_visitors) = length(gaps), gap_visitors,"
    " arrayWithConstant(length(gaps), toUInt32(1))))"
)
_FROM_S = "intDiv({from_ms:Int64}, 1000)"
# A row's figures under names no row column has, so the sums can take the columns' names.
_ROW = "page_views AS pv, sessions AS ses, length_ms AS len, one_view, one_view_names"

# Visitor rows and the dnt page view rows of the same scope: slots (kinds 0, 2), pages (1, 3).
_SLOTS = """
    FROM web_slots FINAL
    WHERE tenant_id = {tenant_id:String} AND kind IN {kinds} AND {range_slot}
"""
_SLOT_ROWS = _SLOTS.replace("{kinds}", str((0, DNT_SLOT)))
_PAGE_ROWS = _SLOTS.replace("{kinds}", str((1, DNT_PAGE)))

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
