"""The web slot rollups: what a 15-minute UTC slot holds, rewritten for the slots a refresh changed.

``web_slots`` has, per ``(tenant_id, slot)``, a *slot row* (``kind`` 0, ``url`` '') and a *page
row* per URL (``kind`` 1): non-dnt page views and a ``uniqExact`` state of the visitors by their
events' own slot (page rows: views of the URL and its viewers), and the sessions starting in the
slot with their page views' bounce parts and lengths (page rows: the sessions entering on it).
A bounce depends on the tenant's engaged names, chosen at query time, so a slot keeps the count
of one-view sessions and the ``web.event`` names of those that have any.

Which slots a refresh changed: ``web_visitor_sessions`` (fed by a view on ``web_sessions``) holds
each event's latest session assignment in visitor order, ``web_visitor_sessions_rolled`` the one
the rollups were last built from. An event whose two differ (or that only the first has) changes
the slot of its own time and the slots its session starts in, before and after. The rolled copy is
written only after the slots, so a crash in between leaves the difference for the replay.
"""

from __future__ import annotations

SLOT = "toStartOfFifteenMinutes({at})"
SLOT_SECONDS = 900

# What a session assignment of an event holds that a slot's figures depend on.
ASSIGNMENT = "(session_start, is_entry, page_views, length_ms, entry_page, event_names)"

_ASSIGNED = """
    SELECT t, event_id, {assignment} AS a
    FROM {table} FINAL
    WHERE tenant_id = {{tenant_id:String}} AND visitor_id IN {{ids:Array(String)}}
"""

# Unix seconds of every slot whose figures the latest assignments of the visitors change.
CHANGED_SLOTS_SQL = f"""
SELECT DISTINCT toInt64(toUnixTimestamp(s)) AS slot
FROM (
    SELECT arrayJoin([{SLOT.format(at="n.t")}, {SLOT.format(at="n.a.1")},
                      if(o.t = toDateTime64(0, 3, 'UTC'), {SLOT.format(at="n.t")},
                         {SLOT.format(at="o.a.1")})]) AS s
    FROM ({_ASSIGNED.format(assignment=ASSIGNMENT, table="web_visitor_sessions")}) AS n
    LEFT JOIN ({_ASSIGNED.format(assignment=ASSIGNMENT, table="web_visitor_sessions_rolled")}) AS o
        ON n.t = o.t AND n.event_id = o.event_id
    WHERE o.event_id = '' OR n.a != o.a
)
ORDER BY slot
"""

ROLLED_SQL = """
INSERT INTO web_visitor_sessions_rolled
SELECT * FROM web_visitor_sessions FINAL
WHERE tenant_id = {tenant_id:String} AND visitor_id IN {ids:Array(String)}
"""

# Slots and session starts of events about to be erased (``forget``), before their rows go.
ERASED_SLOTS_SQL = f"""
SELECT DISTINCT toInt64(toUnixTimestamp(arrayJoin([{SLOT.format(at="t")},
                                                   {SLOT.format(at="session_start")}]))) AS slot
FROM web_visitor_sessions FINAL
WHERE tenant_id = {{tenant_id:String}} AND visitor_id IN {{ids:Array(String)}}
  AND event_id IN {{event_ids:Array(String)}}
ORDER BY slot
"""

COLUMNS = (
    "tenant_id, slot, kind, url, page_views, visitors, sessions, one_view, one_view_names,"
    " length_ms, version"
)

# Each web_sessions row adds to its slot row, to its URL's page row if a page view, and to its
# entry page's row if it opens a session: (kind, url, page view, visitor, opens).
_PARTS = """arrayConcat([(0, '', is_page_view, 1, is_entry)],
            if(is_page_view = 1, [(1, url, 1, 1, 0)], []),
            if(is_entry = 1, [(1, entry_page, 0, 0, 1)], []))"""

# {slots}: a predicate on {at} choosing the slots to rewrite; {db}: the database prefix. Every
# key the slots held before is written again (zero when nothing counts under it any more), so no
# stale row outlives a rewrite.
_REWRITE = f"""
INSERT INTO {{db}}web_slots ({COLUMNS})
SELECT tenant_id, at_slot, part_kind, part_url, sum(pv), uniqExactStateIf(visitor_key, vis = 1),
    sum(opens), countIf(opens = 1 AND views = 1),
    groupArrayIf(names, opens = 1 AND views = 1 AND notEmpty(names)), sumIf(len, opens = 1),
    toUInt64(toUnixTimestamp64Micro(now64(6)))
FROM (
    SELECT tenant_id, toDateTime({SLOT.format(at="t")}, 'UTC') AS at_slot,
        arrayJoin({_PARTS}) AS part, tupleElement(part, 1) AS part_kind,
        tupleElement(part, 2) AS part_url, toUInt64(tupleElement(part, 3)) AS pv,
        tupleElement(part, 4) AS vis, toUInt64(tupleElement(part, 5)) AS opens, visitor_key,
        page_views AS views, length_ms AS len, event_names AS names
    FROM {{db}}web_sessions FINAL
    WHERE {{scope}} AND {{slots_t}}
    UNION ALL
    SELECT DISTINCT tenant_id, slot, (kind, url, 0, 0, 0), kind, url, toUInt64(0), 0,
        toUInt64(0), toUInt128(0), toUInt32(0), toInt64(0), CAST([], 'Array(String)')
    FROM {{db}}web_slots
    WHERE {{scope}} AND {{slots_slot}}
)
GROUP BY tenant_id, at_slot, part_kind, part_url
"""

# The slots named by the statement's parameters, of one tenant; {at}: the time column.
SOME_SLOTS = (
    "{at} >= toDateTime({lo:Int64}, 'UTC') AND {at} < toDateTime({hi:Int64}, 'UTC')"
    " AND toUnixTimestamp(" + SLOT + ") IN {slots:Array(Int64)}"
)
ONE_TENANT = "tenant_id = {tenant_id:String}"


def rewrite_sql(scope: str = ONE_TENANT, slots: str = SOME_SLOTS, db: str | None = None) -> str:
    """``INSERT`` of the rollup rows of the slots ``slots`` (a predicate on ``{at}``) of ``scope``;
    ``db`` qualifies the tables (the migration)."""
    return (
        _REWRITE.replace("{db}", f"{db}." if db else "")
        .replace("{scope}", scope)
        .replace("{slots_t}", slots.replace("{at}", "t"))
        .replace("{slots_slot}", slots.replace("{at}", "slot"))
    )
