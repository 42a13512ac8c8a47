"""Facts about rejected input messages, one row per source message.

Not partitioned by ``failed_at``: a replay may stamp a later time, and copies collapse only
within one partition.
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.dead_letters
    (
        source_topic LowCardinality(String),
        source_partition UInt32,
        source_offset UInt64,
        tenant_id LowCardinality(String),
        code LowCardinality(String),
        field String,
        reason String,
        payload_b64 String,
        failed_at DateTime64(3, 'UTC')
    )
    ENGINE = ReplacingMergeTree
    ORDER BY (source_topic, source_partition, source_offset)
    SETTINGS non_replicated_deduplication_window = 1000
    """,
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.dead_letters",
]
