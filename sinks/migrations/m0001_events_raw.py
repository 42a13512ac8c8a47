"""Raw accepted events, one row per ``(tenant_id, event_id)``.

ReplacingMergeTree over the event's identity makes a replayed row collapse into its first copy on
read with FINAL; the partition key derives from ``occurred_at``, part of the sorting key, so both
copies always share a partition. The deduplication window drops a repeated identical block at
insert time, before any merge.
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.events_raw
    (
        tenant_id LowCardinality(String),
        event_id String,
        event_type LowCardinality(String),
        occurred_at DateTime64(3, 'UTC'),
        schema_version UInt16 DEFAULT 1,
        channel LowCardinality(String),
        direction LowCardinality(String),
        sender_type LowCardinality(String),
        message_id String,
        conversation_id String,
        contact_id String,
        agent_id String,
        org_unit LowCardinality(String),
        campaign_id String,
        workflow_id String,
        sequence_id String,
        sequence_step Nullable(Int32),
        template_id String,
        priority LowCardinality(String),
        score Nullable(UInt8),
        run_id String,
        enrollment_id String,
        step_number Nullable(Int32),
        flow_id String,
        name String,
        visitor_id String,
        session_id String,
        url String,
        referrer String,
        utm_source LowCardinality(String),
        utm_medium LowCardinality(String),
        utm_campaign String,
        device LowCardinality(String),
        browser LowCardinality(String),
        os LowCardinality(String),
        country LowCardinality(String),
        ip String,
        dnt Nullable(Bool),
        attributes Map(String, String),
        tags Array(String),
        source_topic LowCardinality(String),
        source_partition UInt32,
        source_offset UInt64,
        ingested_at DateTime64(3, 'UTC')
    )
    ENGINE = ReplacingMergeTree
    PARTITION BY toYYYYMM(occurred_at)
    ORDER BY (tenant_id, event_type, occurred_at, event_id)
    SETTINGS non_replicated_deduplication_window = 1000
    """,
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.events_raw",
]
