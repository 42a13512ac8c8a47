"""The web slot rollups: what a 15-minute UTC slot holds, rewritten for the slots a refresh changed.

``web_slots`` has, per ``(tenant_id, slot)``, a *slot row* (``kind`` 0, ``url`` '') and a *page
row* per URL (``kind`` 1): non-dnt page views and the visitors by their events' own slot (page
rows: views of the URL and its viewers), counted by their gap in slots to their previous slot
under the same key, and the sessions starting in the slot with their page views' bounce parts
and lengths (page rows: the sessions entering on it).
A bounce depends on the tenant's engaged names, chosen at query time, so a slot keeps the count
of one-view sessions and the ``web.event`` names of those that have any.

dnt page views belong to no visitor: they have rows of their own, ``kind`` 2 (the slot's) and 3
(a URL's), whose ``page_views`` only the dnt derivation (``dnt_derived``) writes, recounted from
``events_raw FINAL``; a visitor's refresh rewrites kinds 0 and 1 only.

Which slots a refresh changed: ``web_visitor_sessions`` (fed by a view on ``web_sessions``) holds
each event's latest session assignment in visitor order, ``web_visitor_sessions_rolled`` the one
the rollups were last built from. An event whose two differ (or that only the first has) changes
the slot of its own time and the slots its session starts in, before and after; a new one also
the gaps of its visitor's next slots. The rolled copy is written only after the slots, so a crash
in between leaves the difference for the replay.
"""

from __future__ import annotations

from pulse.families.web.figures_sql import DNT_VIEWS

SLOT = "toStartOfFifteenMinutes({at})"
SLOT_SECONDS = 900

# What a session assignment of an event holds that a slot's figures depend on.
ASSIGNMENT = "(session_start, is_entry, page_views, length_ms, entry_page, event_names)"
NO_GAP = 4_294_967_295

# The keys an event counts its visitor under: the slot row, and its page's row if a page view.
_KEYS = "arrayJoin(if(is_page_view = 1, [(toUInt8(0), ''), (toUInt8(1), url)], [(toUInt8(0), '')]))"
_SLOT_OF_T = f"toDateTime({SLOT.format(at='t')}, 'UTC')"

_ASSIGNED = """
    SELECT visitor_id, t, event_id, is_page_view, url, {assignment} AS a
    FROM {table} FINAL
    WHERE tenant_id = {{tenant_id:String}} AND visitor_id IN {{ids:Array(String)}}
"""
# Each visitor's keys per slot, in visitor order; {visitors}: which visitors.
_VISITS = f"""
    SELECT DISTINCT tenant_id, visitor_id, {_SLOT_OF_T} AS hs, {_KEYS} AS key,
        tupleElement(key, 1) AS k, tupleElement(key, 2) AS u
    FROM {{db}}web_visitor_sessions FINAL
    WHERE {{visitors}}
"""
_ONE_TENANTS_VISITORS = "tenant_id = {tenant_id:String} AND visitor_id IN {ids:Array(String)}"
# A new event (or an erased one) moves the previous slot of its visitor's next slot, and of the
# next view of its page: those slots' gaps change.
_NEXT_SLOTS = f"""
    SELECT toInt64(toUnixTimestamp(min(h.hs))) AS slot
    FROM (SELECT visitor_id, {_SLOT_OF_T} AS s, {_KEYS} AS key, tupleElement(key, 1) AS k,
                 tupleElement(key, 2) AS u FROM {{events}}) AS e
    INNER JOIN ({_VISITS.replace("{db}", "").replace("{visitors}", _ONE_TENANTS_VISITORS)}) AS h
        ON e.visitor_id = h.visitor_id AND e.k = h.k AND e.u = h.u
    WHERE h.hs > e.s
    GROUP BY e.visitor_id, e.s, e.k, e.u
"""

# Unix seconds of every slot whose figures the latest assignments of the visitors change.
CHANGED_SLOTS_SQL = f"""
WITH changed AS (
    SELECT n.visitor_id AS visitor_id, n.t AS t, n.is_page_view AS is_page_view, n.url AS url,
        n.a AS na, o.a AS oa, o.event_id = '' AS fresh
    FROM ({_ASSIGNED.format(assignment=ASSIGNMENT, table="web_visitor_sessions")}) AS n
    LEFT JOIN ({_ASSIGNED.format(assignment=ASSIGNMENT, table="web_visitor_sessions_rolled")}) AS o
        ON n.t = o.t AND n.event_id = o.event_id
    WHERE o.event_id = '' OR n.a != o.a
)
SELECT DISTINCT slot
FROM (
    SELECT toInt64(toUnixTimestamp(arrayJoin([{SLOT.format(at="t")}, {SLOT.format(at="na.1")},
        if(fresh, {SLOT.format(at="t")}, {SLOT.format(at="oa.1")})]))) AS slot
    FROM changed
    UNION ALL
    {_NEXT_SLOTS.replace("{events}", "changed WHERE fresh")}
)
ORDER BY slot
"""

ROLLED_SQL = """
INSERT INTO web_visitor_sessions_rolled
SELECT * FROM web_visitor_sessions FINAL
WHERE tenant_id = {tenant_id:String} AND visitor_id IN {ids:Array(String)}
"""

_ERASED = (
    "web_visitor_sessions FINAL WHERE tenant_id = {tenant_id:String}"
    " AND visitor_id IN {ids:Array(String)} AND event_id IN {event_ids:Array(String)}"
)
# The slots of events about to be erased (``forget``), before their rows go: their own, their
# sessions' starts, and the next ones of their visitors.
ERASED_SLOTS_SQL = f"""
SELECT DISTINCT slot
FROM (
    SELECT toInt64(toUnixTimestamp(arrayJoin([{SLOT.format(at="t")},
                                             {SLOT.format(at="session_start")}]))) AS slot
    FROM {_ERASED}
    UNION ALL
    {_NEXT_SLOTS.replace("{events}", _ERASED)}
)
ORDER BY slot
"""

COLUMNS = (
    "tenant_id, slot, kind, url, page_views, gaps, gap_visitors, sessions, one_view,"
    " one_view_names, length_ms, version"
)
# The kinds of rows a visitor's refresh writes, and those of dnt page views.
VISITOR_KINDS = (0, 1)
DNT_SLOT, DNT_PAGE = 2, 3

# Each web_sessions row adds to its slot row, to its URL's page row if a page view, and to its
# entry page's row if it opens a session: (kind, url, page view, opens).
_PARTS = """arrayConcat([(0, '', is_page_view, is_entry)],
            if(is_page_view = 1, [(1, url, 1, 0)], []),
            if(is_entry = 1, [(1, entry_page, 0, 1)], []))"""

# The visitors counted under a key of a slot, by the number of slots since their previous slot
# under the same key (NO_GAP: none), as ascending distinct gaps and the visitors of each: a bucket
# counts a visitor once, at its first slot there, the one whose gap reaches back before the
# bucket's start. Visitors coming back alike share an entry, so a row is at most as long as a
# list of its visitors.
_GAPS = f"""
    SELECT tenant_id, hs, k, u, tupleElement(h, 1) AS gaps,
        CAST(tupleElement(h, 2), 'Array(UInt32)') AS gap_visitors
    FROM (
        SELECT tenant_id, hs, k, u, sumMap([gap], [toUInt64(1)]) AS h
        FROM (
            SELECT tenant_id, hs, k, u,
                toUInt32(if(prev = 0, {NO_GAP}, intDiv(toUInt32(hs) - prev, 900))) AS gap
            FROM (
                SELECT tenant_id, hs, k, u, lagInFrame(toUInt32(hs), 1, toUInt32(0)) OVER (
                    PARTITION BY tenant_id, visitor_id, k, u ORDER BY hs
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS prev
                FROM ({_VISITS})
            )
            WHERE {{slots_hs}}
        )
        GROUP BY tenant_id, hs, k, u
    )
"""

# {slots}: a predicate on {at} choosing the slots to rewrite; {db}: the database prefix. Every
# key the slots held before is written again (zero when nothing counts under it any more), so no
# stale row outlives a rewrite.
_REWRITE = f"""
INSERT INTO {{db}}web_slots ({COLUMNS})
SELECT a.tenant_id, a.at_slot, a.part_kind, a.part_url, a.pv, g.gaps, g.gap_visitors, a.ses,
    a.one, a.one_names, a.len, toUInt64(toUnixTimestamp64Micro(now64(6)))
FROM (
    SELECT tenant_id, at_slot, part_kind, part_url, sum(part_pv) AS pv, sum(opens) AS ses,
        countIf(opens = 1 AND views = 1) AS one,
        groupArrayIf(names, opens = 1 AND views = 1 AND notEmpty(names)) AS one_names,
        sumIf(length, opens = 1) AS len
    FROM (
        SELECT tenant_id, {_SLOT_OF_T} AS at_slot,
            arrayJoin({_PARTS}) AS part, tupleElement(part, 1) AS part_kind,
            tupleElement(part, 2) AS part_url, toUInt64(tupleElement(part, 3)) AS part_pv,
            toUInt64(tupleElement(part, 4)) AS opens, page_views AS views, length_ms AS length,
            event_names AS names
        FROM {{db}}web_sessions FINAL
        WHERE {{scope}} AND {{slots_t}}
        UNION ALL
        SELECT DISTINCT tenant_id, slot, (kind, url, 0, 0), kind, url, toUInt64(0),
            toUInt64(0), toUInt32(0), toInt64(0), CAST([], 'Array(String)')
        FROM {{db}}web_slots
        WHERE {{scope}} AND {{slots_slot}} AND kind IN {VISITOR_KINDS}
    )
    GROUP BY tenant_id, at_slot, part_kind, part_url
) AS a
LEFT JOIN ({_GAPS}) AS g
    ON a.tenant_id = g.tenant_id AND a.at_slot = g.hs AND a.part_kind = g.k AND a.part_url = g.u
"""

# The dnt rows of some slots of one tenant as a recount gives them ("recounted"), beside those
# stored ("stored"), for every key either has; {slots_raw}, {slots_slot}: the slots.
DNT_ROWS_SQL = f"""
SELECT slot, toInt64(toUnixTimestamp(slot)) * 1000 AS slot_ms, kind, url,
    sum(recounted) AS recounted, sum(stored) AS stored
FROM (
    SELECT slot, tupleElement(key, 1) AS kind, tupleElement(key, 2) AS url,
        toUInt64(1) AS recounted, toUInt64(0) AS stored
    FROM (
        SELECT toDateTime({SLOT.format(at="occurred_at")}, 'UTC') AS slot,
            arrayJoin([(toUInt8({DNT_SLOT}), ''), (toUInt8({DNT_PAGE}), url)]) AS key
        FROM events_raw FINAL
        WHERE {DNT_VIEWS} AND {{slots_raw}}
    )
    UNION ALL
    SELECT slot, kind, url, toUInt64(0), page_views
    FROM web_slots FINAL
    WHERE tenant_id = {{tenant_id:String}} AND {{slots_slot}} AND kind IN ({DNT_SLOT}, {DNT_PAGE})
)
GROUP BY slot, kind, url
"""
# dnt rows written with their recount (the rows ``DNT_ROWS_SQL`` found different), given as
# parallel arrays; the version is ClickHouse's clock, like every rewrite's.
DNT_REWRITE_SQL = """
INSERT INTO web_slots (tenant_id, slot, kind, url, page_views, version)
SELECT {tenant_id:String}, toDateTime(r.1, 'UTC'), r.2, r.3, r.4,
    toUInt64(toUnixTimestamp64Micro(now64(6)))
FROM (SELECT arrayJoin(arrayZip({w_slots:Array(Int64)}, {w_kinds:Array(UInt8)},
                                {w_urls:Array(String)}, {w_views:Array(UInt64)})) AS r)
"""

# The slots named by the statement's parameters, of one tenant; {at}: the time column.
SOME_SLOTS = (
    "{at} >= toDateTime({lo:Int64}, 'UTC') AND {at} < toDateTime({hi:Int64}, 'UTC')"
    " AND toUnixTimestamp(" + SLOT + ") IN {slots:Array(Int64)}"
)
ONE_TENANT = "tenant_id = {tenant_id:String}"


def rewrite_sql(scope: str = ONE_TENANT, slots: str = SOME_SLOTS, db: str | None = None) -> str:
    """``INSERT`` of the visitor rows (kinds 0 and 1) of the slots ``slots`` (a predicate on
    ``{at}``) of ``scope``; ``db`` qualifies the tables (the migration)."""
    prefix = f"{db}." if db else ""
    slots_t = slots.replace("{at}", "t")
    # The visitors whose history the gaps need: those with events in the slots.
    visitors = (
        "1"
        if scope == "1"
        else f"{scope} AND visitor_id IN (SELECT visitor_id FROM {prefix}web_sessions"
        f" WHERE {scope} AND {slots_t})"
    )
    return (
        _REWRITE.replace("{db}", prefix)
        .replace("{visitors}", visitors)
        .replace("{scope}", scope)
        .replace("{slots_t}", slots_t)
        .replace("{slots_slot}", slots.replace("{at}", "slot"))
        .replace("{slots_hs}", slots.replace("{at}", "hs"))
    )


def some_slots(sql: str) -> str:
    """``sql`` (``DNT_ROWS_SQL``) on the slots named by its parameters."""
    return sql.replace("{slots_raw}", SOME_SLOTS.replace("{at}", "occurred_at")).replace(
        "{slots_slot}", SOME_SLOTS.replace("{at}", "slot")
    )
