"""Every alert delivery attempt, as ``pulse alerts deliver`` hands it off (alerts/README.md).

An attempt is published once, but a sink replaying its batch after a crash inserts it again:
``ReplacingMergeTree`` keyed by the attempt's identity collapses the copies (read with FINAL).
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.alert_deliveries
    (
        notification_id String,
        tenant_id LowCardinality(String),
        rule_id String,
        notification_kind LowCardinality(String),
        destination_id String,
        destination_kind LowCardinality(String),
        attempt UInt32,
        outcome LowCardinality(String),
        status_code UInt16,
        error String,
        duration_ms UInt32,
        attempted_at DateTime64(3, 'UTC')
    )
    ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(attempted_at)
    ORDER BY (tenant_id, notification_id, destination_id, attempted_at, attempt)
    """,
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.alert_deliveries",
]
