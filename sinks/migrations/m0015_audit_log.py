"""The API's audit log: one row per GraphQL operation (query or mutation), refused ones included.

A row says when (``at``: the operation's start), for which tenant (empty when the token was
refused before naming one), who (``subject``: the token's ``sub``), with which roles and org units,
what (operation type and name, root fields, their arguments and the variables as JSON), how much
came back (``rows``: list items in the answer, ``pulse.graphql.audit``), how long it took and how
it ended (``outcome``: ``ok`` or the first error's code). A plain MergeTree, partitioned by month:
every operation is a fact of its own; retention ages it like raw events (``privacy/retention.py``).
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.audit_log
    (
        at DateTime64(3, 'UTC'),
        tenant_id LowCardinality(String),
        subject String,
        roles Array(LowCardinality(String)),
        org_units Array(String),
        operation_type LowCardinality(String),
        operation_name String,
        fields Array(String),
        arguments String,
        variables String,
        rows UInt64,
        duration_ms UInt32,
        outcome LowCardinality(String)
    )
    ENGINE = MergeTree
    PARTITION BY toYYYYMM(at)
    ORDER BY (tenant_id, at)
    """,
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.audit_log",
]
