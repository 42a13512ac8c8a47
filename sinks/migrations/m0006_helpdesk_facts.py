"""Helpdesk entity facts: one row per ``(tenant_id, conversation_id)`` once merged.

A materialized view folds every conversation event of ``events_raw`` into states that a batch
inserted twice cannot change: ``min``/``max`` of tuples led by ``(occurred_at, event_id)`` (argMin
and argMax with a stable tie-break, as plain values: merging generic ``argMin`` states is slow)
and sets of ``(instant, event_id, …)`` tuples (``groupUniqArrayArray``). No count or
sum: the sink replays batches after a crash, and ``events_raw`` collapses copies only on merge.
Everything that depends on another fact (the first agent reply at or after creation, the
deadline, the bucket) is computed at query time, so a ``conversation.created`` arriving days late
files the whole conversation correctly from then on.

The view sees only new inserts; the backfill statement then folds the rows already stored, so an
existing installation gets its history (re-running it, or folding a row both ways, changes no
state).
"""

# Neutral elements of the min/max tuples: no real event is at the end of DateTime64's range
# or at the epoch with an empty event id.
_NOT_CREATED = "tuple(toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC'), '', '', '', '', '')"
_NOT_ASSIGNED = "tuple(toDateTime64(0, 3, 'UTC'), '', '')"

_FACTS = f"""
    SELECT
        tenant_id,
        conversation_id,
        min(if(
            event_type = 'conversation.created',
            tuple(occurred_at, event_id, toString(channel), toString(priority), agent_id,
                  toString(org_unit)),
            {_NOT_CREATED}
        )) AS created,
        groupUniqArrayIf(
            tuple(occurred_at, event_id), event_type = 'conversation.created'
        ) AS creations,
        max(if(
            event_type = 'conversation.assigned' AND agent_id != '',
            tuple(occurred_at, event_id, agent_id), {_NOT_ASSIGNED}
        )) AS assigned_agent,
        max(if(
            event_type = 'conversation.assigned' AND org_unit != '',
            tuple(occurred_at, event_id, toString(org_unit)), {_NOT_ASSIGNED}
        )) AS assigned_org_unit,
        groupUniqArrayIf(
            tuple(occurred_at, agent_id),
            event_type = 'message.sent' AND sender_type = 'agent'
        ) AS agent_replies,
        groupUniqArrayIf(
            tuple(occurred_at, event_id, toString(channel)), event_type = 'conversation.resolved'
        ) AS resolutions,
        groupUniqArrayIf(
            tuple(occurred_at, event_id, toString(channel)), event_type = 'conversation.reopened'
        ) AS reopenings,
        groupUniqArrayIf(
            tuple(occurred_at, event_id, coalesce(score, 0), toString(channel)),
            event_type = 'csat.submitted'
        ) AS csat
    FROM {{db}}.events_raw
    WHERE conversation_id != ''
      AND (event_type IN ('conversation.created', 'conversation.assigned',
                          'conversation.resolved', 'conversation.reopened', 'csat.submitted')
           OR (event_type = 'message.sent' AND sender_type = 'agent'))
    GROUP BY tenant_id, conversation_id
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.helpdesk_conversations
    (
        tenant_id LowCardinality(String),
        conversation_id String,
        created SimpleAggregateFunction(
            min, Tuple(DateTime64(3, 'UTC'), String, String, String, String, String)
        ),
        creations SimpleAggregateFunction(
            groupUniqArrayArray, Array(Tuple(DateTime64(3, 'UTC'), String))
        ),
        assigned_agent SimpleAggregateFunction(max, Tuple(DateTime64(3, 'UTC'), String, String)),
        assigned_org_unit SimpleAggregateFunction(
            max, Tuple(DateTime64(3, 'UTC'), String, String)
        ),
        agent_replies SimpleAggregateFunction(
            groupUniqArrayArray, Array(Tuple(DateTime64(3, 'UTC'), String))
        ),
        resolutions SimpleAggregateFunction(
            groupUniqArrayArray, Array(Tuple(DateTime64(3, 'UTC'), String, String))
        ),
        reopenings SimpleAggregateFunction(
            groupUniqArrayArray, Array(Tuple(DateTime64(3, 'UTC'), String, String))
        ),
        csat SimpleAggregateFunction(
            groupUniqArrayArray,
            Array(Tuple(DateTime64(3, 'UTC'), String, UInt8, String))
        )
    )
    ENGINE = AggregatingMergeTree
    ORDER BY (tenant_id, conversation_id)
    """,
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.helpdesk_conversations_mv "
    "TO {db}.helpdesk_conversations AS " + _FACTS,
    # After the view: a row the sink stores meanwhile is folded by both, which changes nothing.
    "INSERT INTO {db}.helpdesk_conversations " + _FACTS,
]

BACKWARDS = [
    "DROP VIEW IF EXISTS {db}.helpdesk_conversations_mv",
    "DROP TABLE IF EXISTS {db}.helpdesk_conversations",
]
