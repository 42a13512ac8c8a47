"""Helpdesk moments: one row per instant where a helpdesk figure lands, refreshed by the sink.

Derived from ``helpdesk_conversations`` by ``pulse.families.helpdesk.derived`` (the sink after
each batch, ``pulse recalc``), never incremented: a refresh rewrites every row of the
conversations it touched with a higher ``version``. Every row sits on its own event, whose key
never changes (the first response is a column of the creation row, not a row that could move).
Time leads the key after the tenant and the kind, so a question reads the rows of its range. SLA
targets are not stored: the known creation row carries the first reply and first resolution, and
the query judges them against the question's targets and ``asOf``.

The backfill is the refresh statement over every conversation (``moments_sql``, where the rules
live), so it derives the history of an existing installation exactly as the sink would; a
conversation the sink refreshes meanwhile gets the rows of the later version.
"""

from pulse.families.helpdesk.conversations_sql import EVERYTHING
from pulse.families.helpdesk.moments_sql import refresh_sql

# The moments' columns, in ``moments_sql.COLUMNS``' order (m0021 rebuilds the table with them).
COLUMN_TYPES = (
    "tenant_id LowCardinality(String)",
    "kind UInt8",
    "t DateTime64(3, 'UTC')",
    "event_id String",
    "conversation_id String",
    "value Int64",
    "channel LowCardinality(String)",
    "priority LowCardinality(String)",
    "agent LowCardinality(String)",
    "org_unit LowCardinality(String)",
    "known_creation UInt8",
    "reply_ms Nullable(Int64)",
    "first_resolution_ms Nullable(Int64)",
    "version UInt64",
)
ENGINE = "ENGINE = ReplacingMergeTree(version)"
ORDER = "ORDER BY (tenant_id, kind, t, event_id)"

FORWARDS = [
    f"CREATE TABLE IF NOT EXISTS {{db}}.helpdesk_moments ({', '.join(COLUMN_TYPES)})"
    f" {ENGINE} {ORDER}",
    refresh_sql(EVERYTHING, "{db}"),
]

BACKWARDS = [
    "DROP TABLE IF EXISTS {db}.helpdesk_moments",
]
