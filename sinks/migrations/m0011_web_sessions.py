"""Web sessions: a visitor-ordered copy of the non-dnt web events, and one session row per event.

``web_visitor_events`` holds every non-dnt ``web.page_view`` / ``web.event`` of ``events_raw``
ordered by ``(tenant_id, visitor_id, occurred_at, event_id)``, fed by a materialized view (and a
backfill after it), so a refresh reads a visitor's events by key instead of scanning the tenant's
web history. It is a plain copy (ReplacingMergeTree over the event's identity: a replayed insert
collapses on read with FINAL); dnt events are not copied, they belong to no visitor.

``web_sessions`` (``pulse.families.web.sessions_sql``) has one row per copied event keyed by its
own ``(tenant_id, t, event_id)``, carrying its session's assignment; rewritten whole per visitor
by the sink's derivation (``ReplacingMergeTree(version)``, version from the statement's clock).
Partitioned by the month of ``t``, a column of the key: a row's versions share a partition, so a
question's ``FINAL`` merges within partitions only (``FINAL_SETTINGS``) and a settled month is
read without merging.
The backfill is the refresh statement over every visitor.
"""

from pulse.families.web.sessions_sql import EVERYTHING, refresh_sql

_COPY = """
    SELECT tenant_id, visitor_id, occurred_at AS t, event_id,
        toUInt8(event_type = 'web.page_view') AS is_page_view, session_id, url, name, referrer,
        utm_source, utm_medium, utm_campaign, device, browser, os, country
    FROM {db}.events_raw
    WHERE event_type IN ('web.page_view', 'web.event') AND NOT ifNull(dnt, false)
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.web_visitor_events
    (
        tenant_id LowCardinality(String),
        visitor_id String,
        t DateTime64(3, 'UTC'),
        event_id String,
        is_page_view UInt8,
        session_id String,
        url String,
        name String,
        referrer String,
        utm_source LowCardinality(String),
        utm_medium LowCardinality(String),
        utm_campaign String,
        device LowCardinality(String),
        browser LowCardinality(String),
        os LowCardinality(String),
        country LowCardinality(String)
    )
    ENGINE = ReplacingMergeTree
    ORDER BY (tenant_id, visitor_id, t, event_id)
    """,
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.web_visitor_events_mv "
    "TO {db}.web_visitor_events AS " + _COPY,
    # After the view: a row stored meanwhile is copied twice, and the copies collapse.
    "INSERT INTO {db}.web_visitor_events " + _COPY,
    """
    CREATE TABLE IF NOT EXISTS {db}.web_sessions
    (
        tenant_id LowCardinality(String),
        t DateTime64(3, 'UTC'),
        event_id String,
        visitor_id String,
        -- uniqExact keeps a String as its 128-bit SipHash: counting this key is as exact and
        -- spares every question reading and hashing the ids.
        visitor_key UInt128 MATERIALIZED reinterpretAsUInt128(sipHash128(visitor_id)),
        is_page_view UInt8,
        url String,
        session_start DateTime64(3, 'UTC'),
        is_entry UInt8,
        entry_page String,
        referrer String,
        utm_source LowCardinality(String),
        utm_medium LowCardinality(String),
        utm_campaign String,
        device LowCardinality(String),
        browser LowCardinality(String),
        os LowCardinality(String),
        country LowCardinality(String),
        page_views UInt32,
        length_ms Int64,
        pages Array(String),
        event_names Array(String),
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    PARTITION BY toYYYYMM(t)
    ORDER BY (tenant_id, t, event_id)
    """,
    refresh_sql(EVERYTHING, "{db}"),
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.web_sessions",
    "DROP VIEW IF EXISTS {db}.web_visitor_events_mv",
    "DROP TABLE IF EXISTS {db}.web_visitor_events",
]
