"""The alert evaluator's memory and history (alerts/README.md, "Evaluation").

``alert_events``: one row per firing (``analytics.alert.triggered``) and resolution
(``analytics.alert.resolved``), with the value seen and the rule as it was; it is also the
evaluator's outbox: written with ``published = 0`` before the notification is published, and
again with ``published = 1`` (a higher version) once Kafka acknowledged it, so a restarted
evaluator publishes what a crash left unpublished, with the same id.

``alert_states``: each rule's current state (normal, pending, firing), rewritten on every change;
the evaluator reads it back at start. Both ``ReplacingMergeTree(version)``: read with FINAL.
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.alert_events
    (
        tenant_id LowCardinality(String),
        rule_id String,
        notification_id String,
        kind LowCardinality(String),
        episode_start DateTime64(3, 'UTC'),
        occurred_at DateTime64(3, 'UTC'),
        value Nullable(Float64),
        threshold Nullable(Float64),
        window_start DateTime64(3, 'UTC'),
        window_end DateTime64(3, 'UTC'),
        rule_json String,
        published UInt8,
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    PARTITION BY toYYYYMM(episode_start)
    ORDER BY (tenant_id, rule_id, episode_start, kind)
    """,
    """
    CREATE TABLE IF NOT EXISTS {db}.alert_states
    (
        tenant_id LowCardinality(String),
        rule_id String,
        state LowCardinality(String),
        since DateTime64(3, 'UTC'),
        episode_start DateTime64(3, 'UTC'),
        last_fired_at DateTime64(3, 'UTC'),
        last_value Nullable(Float64),
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (tenant_id, rule_id)
    """,
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.alert_states",
    "DROP TABLE IF EXISTS {db}.alert_events",
]
