"""Web slot rollups, so a dashboard reads ~100 rows a day instead of every event of its range.

- ``web_slots`` (``pulse.families.web.slots_sql``): per tenant and 15-minute UTC slot, a slot row
  and a row per page, rewritten by the web derivation for the slots a refresh changed
  (``ReplacingMergeTree(version)``, the version from the statement's clock). Visitors are kept
  as each one's gap to its previous slot, so a question counts them instead of merging sets.
- ``web_visitor_sessions`` (fed by a view on ``web_sessions``) and ``web_visitor_sessions_rolled``:
  each event's latest session assignment and the one the rollups were built from, in visitor
  order, so a refresh finds the slots it changed by key.
- ``web_dnt_slots``: dnt page views per slot and URL as a ``uniqExact`` state of their event
  identity, folded at insert by a view on ``events_raw``: a replayed insert adds nothing, and no
  refresh is needed (dnt events touch no visitor, so no derivation would run for them).

Partitioned by month like ``web_sessions``. The backfill builds the assignments and the dnt states
from what is stored; m0018 reshapes ``web_slots`` and builds its rows.
"""

_ASSIGNMENT_COLUMNS = """
        tenant_id LowCardinality(String),
        visitor_id String,
        t DateTime64(3, 'UTC'),
        event_id String,
        is_page_view UInt8,
        url String,
        session_start DateTime64(3, 'UTC'),
        is_entry UInt8,
        page_views UInt32,
        length_ms Int64,
        entry_page String,
        event_names Array(String),
        version UInt64
"""
_ASSIGNMENT = (
    "SELECT tenant_id, visitor_id, t, event_id, is_page_view, url, session_start, is_entry,"
    " page_views, length_ms, entry_page, event_names, version FROM {db}.web_sessions"
)
_DNT_VIEWS = """
    SELECT tenant_id, toStartOfFifteenMinutes(occurred_at) AS slot, url,
        uniqExactState(reinterpretAsUInt128(sipHash128(event_id, occurred_at))) AS views
    FROM {db}.events_raw
    WHERE event_type = 'web.page_view' AND ifNull(dnt, false)
    GROUP BY tenant_id, slot, url
"""

# m0018 folded these into web_slots; its rollback restores them.
DNT_TABLE = """
    CREATE TABLE IF NOT EXISTS {db}.web_dnt_slots
    (
        tenant_id LowCardinality(String),
        slot DateTime('UTC'),
        url String,
        views AggregateFunction(uniqExact, UInt128)
    )
    ENGINE = AggregatingMergeTree
    PARTITION BY toYYYYMM(slot)
    ORDER BY (tenant_id, slot, url)
"""
DNT_VIEW = (
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.web_dnt_slots_mv TO {db}.web_dnt_slots AS "
    + _DNT_VIEWS
)

FORWARDS = [
    f"""
    CREATE TABLE IF NOT EXISTS {{db}}.web_visitor_sessions ({_ASSIGNMENT_COLUMNS})
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (tenant_id, visitor_id, t, event_id)
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {{db}}.web_visitor_sessions_rolled ({_ASSIGNMENT_COLUMNS})
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (tenant_id, visitor_id, t, event_id)
    """,
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.web_visitor_sessions_mv "
    "TO {db}.web_visitor_sessions AS " + _ASSIGNMENT,
    """
    CREATE TABLE IF NOT EXISTS {db}.web_slots
    (
        tenant_id LowCardinality(String),
        slot DateTime('UTC'),
        kind UInt8,
        url String,
        page_views UInt64,
        gaps Array(UInt32),
        sessions UInt64,
        one_view UInt64,
        one_view_names Array(Array(String)),
        length_ms Int64,
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    PARTITION BY toYYYYMM(slot)
    ORDER BY (tenant_id, slot, kind, url)
    """,
    DNT_TABLE,
    DNT_VIEW,
    # After the views: what is stored meanwhile is folded twice, which changes nothing.
    "INSERT INTO {db}.web_dnt_slots " + _DNT_VIEWS,
    "INSERT INTO {db}.web_visitor_sessions " + _ASSIGNMENT + " FINAL",
    # The slots themselves are built by m0018, whose shape the code now writes.
    "INSERT INTO {db}.web_visitor_sessions_rolled SELECT * FROM {db}.web_visitor_sessions FINAL",
]

BACKWARDS = [
    "DROP VIEW IF EXISTS {db}.web_dnt_slots_mv",
    "DROP TABLE IF EXISTS {db}.web_dnt_slots",
    "DROP TABLE IF EXISTS {db}.web_slots",
    "DROP VIEW IF EXISTS {db}.web_visitor_sessions_mv",
    "DROP TABLE IF EXISTS {db}.web_visitor_sessions_rolled",
    "DROP TABLE IF EXISTS {db}.web_visitor_sessions",
]
