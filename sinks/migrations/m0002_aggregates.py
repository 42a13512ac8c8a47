"""Messaging counter slices and per-conversation first-response facts.

Both hold absolute values with a ``version`` (the source offset of the last event folded in), so
``ReplacingMergeTree(version)`` keeps the newest value of a key however often older ones replay.
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.messaging_counters
    (
        tenant_id LowCardinality(String),
        granularity LowCardinality(String),
        bucket_start DateTime64(3, 'UTC'),
        bucket_end DateTime64(3, 'UTC'),
        channel LowCardinality(String),
        slice LowCardinality(String),
        version UInt64,
        sent UInt64,
        delivered UInt64,
        read UInt64,
        clicked UInt64,
        failed UInt64,
        complained UInt64,
        unsubscribed UInt64,
        received UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    PARTITION BY toYYYYMM(bucket_start)
    ORDER BY (tenant_id, granularity, bucket_start, channel, slice)
    SETTINGS non_replicated_deduplication_window = 1000
    """,
    """
    CREATE TABLE IF NOT EXISTS {db}.conversation_frt
    (
        tenant_id LowCardinality(String),
        conversation_id String,
        channel LowCardinality(String),
        priority LowCardinality(String),
        created_at DateTime64(3, 'UTC'),
        first_reply_at DateTime64(3, 'UTC'),
        frt_ms Int64,
        hour_start DateTime64(3, 'UTC'),
        day_start DateTime64(3, 'UTC'),
        week_start DateTime64(3, 'UTC'),
        month_start DateTime64(3, 'UTC'),
        slice LowCardinality(String),
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (tenant_id, conversation_id)
    SETTINGS non_replicated_deduplication_window = 1000
    """,
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.conversation_frt",
    "DROP TABLE IF EXISTS {db}.messaging_counters",
]
