"""A visitor's sessions: every non-dnt web event with the session it belongs to (one statement).

Reads ``web_visitor_events`` (the non-dnt web events of ``events_raw`` in visitor order, fed by a
materialized view) and assigns each event its session, by the rules of METRICS.md §4 Web:

- events carrying a ``session_id`` form one session per ``(visitor, session_id)``, whatever the
  gaps between them;
- the visitor's events without one are sessionized among themselves, in ``(occurred_at,
  event_id)`` order: a new session starts where an event comes more than 30 minutes after the
  previous one (exactly 30:00.000 continues).

Each event becomes one row keyed by its own ``(tenant_id, t, event_id)`` carrying its session's
start and entry attributes; the session's first event (``is_entry``) also carries its page views,
length, pages and ``web.event`` names. A late event that joins or splits sessions rewrites the
visitor's rows, and since no row is keyed by a session, none is left behind.
"""

from __future__ import annotations

GAP_MS = 30 * 60_000

COLUMNS = (
    "tenant_id, t, event_id, visitor_id, is_page_view, url, session_start, is_entry, entry_page,"
    " referrer, utm_source, utm_medium, utm_campaign, device, browser, os, country, page_views,"
    " length_ms, pages, event_names, version"
)

# What a session inherits from its entry event (the first by (t, event_id)).
_ENTRY = (
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
)

_ENTRY_TUPLE = ", ".join(f"toString({c})" for c in _ENTRY)
_ENTRY_COLUMNS = ",\n    ".join(f"s.entry.{i + 4} AS {c}" for i, c in enumerate(_ENTRY))

# {source}: the visitor-ordered table; {scope}: a predicate choosing the visitors.
_SESSIONS = f"""
WITH numbered AS (
    SELECT *,
        if(session_id = '', sum(opens) OVER (
            PARTITION BY tenant_id, visitor_id, session_id ORDER BY t, event_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0) AS n
    FROM (
        SELECT tenant_id, visitor_id, t, event_id, is_page_view, session_id, url, name,
            {", ".join(_ENTRY)},
            toUnixTimestamp64Milli(t) AS ms,
            toUInt64(session_id = '' AND (
                row_number() OVER w = 1
                OR ms - lagInFrame(ms, 1) OVER w > {GAP_MS})) AS opens
        FROM {{source}} FINAL
        WHERE {{scope}}
        WINDOW w AS (PARTITION BY tenant_id, visitor_id, session_id ORDER BY t, event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
),
sessions AS (
    SELECT tenant_id, visitor_id, session_id, n,
        min(tuple(t, event_id, url, {_ENTRY_TUPLE})) AS entry,
        minIf(tuple(t, event_id, url), is_page_view = 1) AS first_view,
        toUInt32(sum(is_page_view)) AS views,
        max(ms) - min(ms) AS length,
        arraySort(groupUniqArrayIf(url, is_page_view = 1)) AS viewed,
        arraySort(groupUniqArrayIf(name, is_page_view = 0 AND name != '')) AS names
    FROM numbered
    GROUP BY tenant_id, visitor_id, session_id, n
)
SELECT
    e.tenant_id AS tenant_id,
    e.t AS t,
    e.event_id AS event_id,
    e.visitor_id AS visitor_id,
    e.is_page_view AS is_page_view,
    e.url AS url,
    s.entry.1 AS session_start,
    toUInt8(e.t = s.entry.1 AND e.event_id = s.entry.2) AS is_entry,
    if(s.views > 0, s.first_view.3, s.entry.3) AS entry_page,
    {_ENTRY_COLUMNS},
    if(is_entry, s.views, 0) AS page_views,
    if(is_entry, s.length, 0) AS length_ms,
    if(is_entry, s.viewed, []) AS pages,
    if(is_entry, s.names, []) AS event_names,
    toUInt64(toUnixTimestamp64Micro(now64(6))) AS version
FROM numbered AS e
INNER JOIN sessions AS s
    ON e.tenant_id = s.tenant_id AND e.visitor_id = s.visitor_id
   AND e.session_id = s.session_id AND e.n = s.n
"""

# The visitors of one tenant named by the statement's parameters.
SOME = "tenant_id = {tenant_id:String} AND visitor_id IN {ids:Array(String)}"
EVERYTHING = "1"


def sessions_sql(scope: str, source: str = "web_visitor_events") -> str:
    """Every event of the visitors of ``scope`` with its session (the columns of COLUMNS)."""
    return _SESSIONS.replace("{source}", source).replace("{scope}", scope)


def refresh_sql(scope: str, db: str | None = None) -> str:
    """``INSERT`` of the session rows of ``scope``; ``db`` qualifies both tables (the migration)."""
    prefix = f"{db}." if db else ""
    return (
        f"INSERT INTO {prefix}web_sessions ({COLUMNS}) "
        f"SELECT {COLUMNS} FROM ({sessions_sql(scope, prefix + 'web_visitor_events')})"
    )
