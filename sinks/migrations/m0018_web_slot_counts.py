"""Web slot rows that a dashboard sums without merging anything: dnt page views as a count in
``web_slots``, visitors by distinct gap.

- ``dnt_views``: the dnt page views of the row's slot (a page row: of its URL), recounted from
  ``events_raw FINAL`` by the web dnt derivation for the slots a batch's dnt events fall in. It
  replaces ``web_dnt_slots``, whose ``uniqExact`` states every question had to merge (~10 ms of
  a 30-day dashboard): the counts are taken from those states, so dnt page views whose raw
  events already expired stay counted.
- ``gaps`` now holds the row's distinct gaps, ascending, and ``gap_visitors`` the visitors of
  each: visitors coming back alike share an entry.

Every slot row is rewritten in the new shape (a later version replaces each). Rolling back drops
the new column and restores ``web_dnt_slots`` from the counts, as a ``uniqExact`` state of
distinct placeholders of the same size; the older code then reads ``gaps`` as one entry per visitor,
so ``pulse recalc`` of the web family must follow a rollback.
"""

from pulse.families.web.slots_sql import rewrite_sql

# ``{db}`` here is rewrite_sql's table prefix, which it fills with the migrator's ``{db}.``.
_STORED_DNT = """
    SELECT tenant_id, slot, url, uniqExactMerge(views) AS views
    FROM {db}web_dnt_slots
    GROUP BY tenant_id, slot, url
"""

FORWARDS = [
    "ALTER TABLE {db}.web_slots ADD COLUMN IF NOT EXISTS dnt_views UInt64 AFTER page_views",
    "ALTER TABLE {db}.web_slots ADD COLUMN IF NOT EXISTS gap_visitors Array(UInt32) AFTER gaps",
    rewrite_sql("1", "1", "{db}", _STORED_DNT),
    "DROP VIEW IF EXISTS {db}.web_dnt_slots_mv",
    "DROP TABLE IF EXISTS {db}.web_dnt_slots",
]

BACKWARDS = [
    """
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
    """,
    """
    INSERT INTO {db}.web_dnt_slots
    SELECT tenant_id, slot, url,
        uniqExactState(reinterpretAsUInt128(sipHash128(tenant_id, slot, url, n)))
    FROM {db}.web_slots FINAL ARRAY JOIN range(dnt_views) AS n
    WHERE kind = 1 AND dnt_views > 0
    GROUP BY tenant_id, slot, url
    """,
    """
    CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.web_dnt_slots_mv TO {db}.web_dnt_slots AS
    SELECT tenant_id, toStartOfFifteenMinutes(occurred_at) AS slot, url,
        uniqExactState(reinterpretAsUInt128(sipHash128(event_id, occurred_at))) AS views
    FROM {db}.events_raw
    WHERE event_type = 'web.page_view' AND ifNull(dnt, false)
    GROUP BY tenant_id, slot, url
    """,
    "ALTER TABLE {db}.web_slots DROP COLUMN IF EXISTS gap_visitors",
    "ALTER TABLE {db}.web_slots DROP COLUMN IF EXISTS dnt_views",
]
