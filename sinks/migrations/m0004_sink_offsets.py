"""The last hand-off offset each sink group has stored, per partition.

ClickHouse, not Kafka, is the source of truth for where a sink resumes: the row is written right
after the rows it covers. Readers take ``max(offset)``, which needs no FINAL.
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.sink_offsets
    (
        group_id LowCardinality(String),
        topic LowCardinality(String),
        partition UInt32,
        offset UInt64,
        updated_at DateTime64(3, 'UTC')
    )
    ENGINE = ReplacingMergeTree(offset)
    ORDER BY (group_id, topic, partition)
    """,
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.sink_offsets",
]
