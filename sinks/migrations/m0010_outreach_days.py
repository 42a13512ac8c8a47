"""Campaign and template messaging counts per UTC day, recomputed from ``messaging_slots``.

One row per ``(tenant_id, day, campaign_id, template_id, channel)`` of the messages carrying a
campaign or a template; the outreach family's derivation (``pulse.families.outreach.days``)
rewrites the days a batch touched after messaging's slots were refreshed. Rankings read whole
UTC days here and the partial days at a range's edges from the slots, so any zone's range (a
whole number of quarter hours) is exact.

Bloom filter indexes on the slots' ``campaign_id`` and ``template_id`` let one campaign's or
template's buckets skip the granules of the others (they apply under ``FINAL``).
"""

from pulse.families.outreach.days_sql import COLUMNS, day_counts_sql

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.outreach_days
    (
        tenant_id LowCardinality(String),
        day DateTime('UTC'),
        campaign_id String,
        template_id String,
        channel LowCardinality(String),
        sent UInt64,
        delivered UInt64,
        read UInt64,
        clicked UInt64,
        failed UInt64,
        complained UInt64,
        unsubscribed UInt64,
        received UInt64,
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    PARTITION BY toYYYYMM(day)
    ORDER BY (tenant_id, day, campaign_id, template_id, channel)
    """,
    f"INSERT INTO {{db}}.outreach_days ({', '.join(COLUMNS)}) "
    + day_counts_sql("{db}.messaging_slots"),
    "ALTER TABLE {db}.messaging_slots"
    " ADD INDEX IF NOT EXISTS campaign_bloom campaign_id TYPE bloom_filter GRANULARITY 1",
    "ALTER TABLE {db}.messaging_slots"
    " ADD INDEX IF NOT EXISTS template_bloom template_id TYPE bloom_filter GRANULARITY 1",
    "ALTER TABLE {db}.messaging_slots MATERIALIZE INDEX campaign_bloom",
    "ALTER TABLE {db}.messaging_slots MATERIALIZE INDEX template_bloom",
]

BACKWARDS = [
    "ALTER TABLE {db}.messaging_slots DROP INDEX IF EXISTS template_bloom",
    "ALTER TABLE {db}.messaging_slots DROP INDEX IF EXISTS campaign_bloom",
    "DROP TABLE IF EXISTS {db}.outreach_days",
]
