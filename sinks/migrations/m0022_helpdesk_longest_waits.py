"""``helpdesk_longest_waits``: per tenant, the longest wait from a known creation to its first
agent reply that any refresh has stored.

A question also counts the first responses in its range of creations older than its opening
(``figures_sql.EARLIER_ANSWERED``): such a creation lies at most this wait before the range's
start. Without the bound the search opened every partition of the moments before the opening
(m0021: one a week of history); with it, only those of the weeks a reply can come from. The
view takes the maximum of every moment row inserted (stale versions too): a bound that only
grows, and so is never too short; a row deleted later (an erasure, retention) leaves it as it
was, which costs reading, never a figure.

The backfill reads every stored known creation row. On a ClickHouse server, a refresh that
began before the view and ended after the backfill read is in neither: migrate with the sink
stopped there, or ``pulse recalc`` afterwards (which inserts every moment again). Rolling this
migration back and forth rebuilds the bound from the moments stored then (one outlier, a first
reply stamped years late, widens every search of its tenant until then).
"""

_WAIT = "assumeNotNull(reply_ms) - toUnixTimestamp64Milli(t)"
_ANSWERED = "WHERE known_creation = 1 AND reply_ms IS NOT NULL GROUP BY tenant_id"

FORWARDS = [
    """
    CREATE TABLE IF NOT EXISTS {db}.helpdesk_longest_waits
    (
        tenant_id LowCardinality(String),
        wait_ms AggregateFunction(max, Int64)
    )
    ENGINE = AggregatingMergeTree
    ORDER BY tenant_id
    """,
    "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.helpdesk_longest_waits_mv"
    " TO {db}.helpdesk_longest_waits AS"
    f" SELECT tenant_id, maxState({_WAIT}) AS wait_ms FROM {{db}}.helpdesk_moments {_ANSWERED}",
    "INSERT INTO {db}.helpdesk_longest_waits"
    f" SELECT tenant_id, maxState({_WAIT}) FROM {{db}}.helpdesk_moments FINAL {_ANSWERED}",
]

BACKWARDS = [
    "DROP VIEW IF EXISTS {db}.helpdesk_longest_waits_mv",
    "DROP TABLE IF EXISTS {db}.helpdesk_longest_waits",
]
