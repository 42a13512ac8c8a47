"""``helpdesk_changes``: the UTC days whose helpdesk figures changed, and when.

Every helpdesk refresh writes a row per UTC day holding an event of the conversations it
rewrote (``families/helpdesk/changes.py``), so the API reuses a bucket's answer until a day it
rests on changes. Nothing to backfill: an API starts with no answers kept, and a day without a
row is one that has not changed since.
"""

from pulse.families.helpdesk.changes import TABLE

FORWARDS = [
    f"""
    CREATE TABLE IF NOT EXISTS {{db}}.{TABLE}
    (
        tenant_id LowCardinality(String),
        day Date,
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (tenant_id, day)
    """,
]

BACKWARDS = [f"DROP TABLE IF EXISTS {{db}}.{TABLE}"]
