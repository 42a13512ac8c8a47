"""The audit log of privacy work: one row per export, erasure and retention run.

A row says who asked (``requested_by``), when, for which tenant, which kind of subject, an HMAC of
the subject (never its id: the log outlives the erasure it records, ``pulse.privacy.subject``),
why, and how many rows were read or removed (``rows``; per table in ``detail``, JSON). It is a
plain MergeTree: every request is a fact of its own, never replaced; nothing deletes from it
(retention does not apply to the record of retention).
"""

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.privacy_requests
    (
        request_id String,
        requested_at DateTime64(3, 'UTC'),
        action LowCardinality(String),
        tenant_id LowCardinality(String),
        subject_kind LowCardinality(String),
        subject_hash String,
        requested_by String,
        reason String,
        rows UInt64,
        detail String
    )
    ENGINE = MergeTree
    ORDER BY (tenant_id, requested_at, request_id)
    """,
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.privacy_requests",
]
