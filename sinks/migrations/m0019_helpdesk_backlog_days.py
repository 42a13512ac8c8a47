"""Helpdesk questions read a bounded stretch of moments, whatever the tenant's history.

- ``helpdesk_backlog_days``: the backlog's change per tenant, UTC day and filing (channel,
  priority, agent, org unit), recounted from the moments by the helpdesk refresh for every day
  its conversations touch (``families/helpdesk/backlog_days.py``). A question opens its backlog
  from these rows for the days before its range (less the longest SLA target, whose deadlines
  may still fall in it) and reads the moments only from there, instead of every moment since
  the tenant's first event.
- A ``minmax`` index on the moments' ``reply_ms``: a creation older than that stretch is still
  read when its first reply falls in the range (its first response lands there), and the index
  skips the granules whose replies all lie elsewhere (under ``FINAL`` too: ClickHouse's exact
  mode reads the newer parts overlapping what the index keeps).

The backfill sums the stored moments, so it counts what the moments count today.
"""

from pulse.families.helpdesk.backlog_days import COUNTED_SQL, TABLE

FORWARDS = [
    f"""
    CREATE TABLE IF NOT EXISTS {{db}}.{TABLE}
    (
        tenant_id LowCardinality(String),
        day Date,
        channel LowCardinality(String),
        priority LowCardinality(String),
        agent LowCardinality(String),
        org_unit LowCardinality(String),
        change Int64,
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (tenant_id, day, channel, priority, agent, org_unit)
    """,
    f"INSERT INTO {{db}}.{TABLE} (tenant_id, day, channel, priority, agent, org_unit, change,"
    " version) SELECT *, toUInt64(toUnixTimestamp64Micro(now64(6))) FROM ("
    + COUNTED_SQL.replace("{db}", "{db}.").replace("{where}", "1")
    + ")",
    "ALTER TABLE {db}.helpdesk_moments"
    " ADD INDEX IF NOT EXISTS reply_minmax reply_ms TYPE minmax GRANULARITY 1",
    "ALTER TABLE {db}.helpdesk_moments MATERIALIZE INDEX reply_minmax SETTINGS mutations_sync = 2",
]

BACKWARDS = [
    "ALTER TABLE {db}.helpdesk_moments DROP INDEX IF EXISTS reply_minmax",
    f"DROP TABLE IF EXISTS {{db}}.{TABLE}",
]
