"""Messaging counts per 15-minute UTC slot, recomputed from ``events_raw`` (never incremented).

One row per ``(tenant_id, slot, channel, org_unit, campaign_id, template_id, workflow_id,
sequence_id)`` holding the absolute count of each ``message.*`` type in the slot. The sink's
messaging derivation (``pulse.families.messaging.derived``) rewrites every row of a slot its
batch touched from everything stored, with a version taken from the clock in the statement, so a
replayed batch writes the same counts again and the latest recomputation wins on ``FINAL``.
Fifteen-minute UTC slots nest in the local hours of every zone (offsets are whole quarter
hours), so the API buckets them at query time in whatever zone the question names.

The backfill folds the raw events already stored; the sink (or ``pulse recalc``) refreshes any
slot an insert touches afterwards, with a higher version.
"""

from pulse.families.messaging.slots_sql import COLUMNS, slot_counts_sql

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.messaging_slots
    (
        tenant_id LowCardinality(String),
        slot DateTime('UTC'),
        channel LowCardinality(String),
        org_unit LowCardinality(String),
        campaign_id String,
        template_id String,
        workflow_id String,
        sequence_id String,
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
    PARTITION BY toYYYYMM(slot)
    ORDER BY (tenant_id, slot, channel, org_unit, campaign_id, template_id, workflow_id,
              sequence_id)
    """,
    # No parameter: the text holds no braces but ``{db}``, which the migrator fills.
    f"INSERT INTO {{db}}.messaging_slots ({', '.join(COLUMNS)}) "
    + slot_counts_sql("{db}.events_raw"),
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.messaging_slots",
]
