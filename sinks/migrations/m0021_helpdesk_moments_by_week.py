"""``helpdesk_moments`` partitioned by the Monday of each moment's UTC time.

A question reads the moments under ``FINAL``, which merges every part overlapping what it reads.
Unpartitioned, the live days of a month's dashboard overlapped the table's big part and every
refresh's part not yet merged (eight on the bench), and a live read of two days took 33 ms of
which 24 were the merge. By week, ClickHouse merges a refresh's parts into a week's few hundred
thousand rows soon, a finished week ends as one part that ``FINAL`` reads without merging, and
``FINAL`` never merges across partitions: every version of a row shares its partition, since
``t`` is in the key and never changes (ClickHouse decides that alone, from the partition key
being a function of a key column). By day, a question's reply index subquery opens one part per
day before its range (the creations statement took 51 ms against 27), and two years make 730
partitions; by month, a live read would merge a month.

The table is rebuilt: the stored rows (their latest versions) are copied, a week after
another so that each insert block writes one or two partitions, into a partitioned table,
which then trades names with the old one in one atomic ``EXCHANGE`` (a database of the Atomic
engine, every default since ClickHouse 20.10); the old one is dropped last. Run again after a
failure at any statement, it starts over from whichever table holds the name. Moments a sink on
a ClickHouse server writes between the copy and the exchange are lost with the old table:
migrate with the sink stopped there, or ``pulse recalc`` the days it wrote.

``FINAL`` skips merging across partitions by itself from ClickHouse 24.1; the moments' reads
ask for it (``moments_sql.FINAL_SETTINGS``) so that a 23.x server does too.
"""

from pulse.sinks.migrations.m0007_helpdesk_moments import COLUMN_TYPES, ENGINE, ORDER

# The columns and key of m0007, with m0019's index on the first reply.
_TABLE = f"({', '.join(COLUMN_TYPES)}, INDEX reply_minmax reply_ms TYPE minmax GRANULARITY 1)"


def _rebuild(partition: str) -> list[str]:
    """Statements that copy the moments into a table laid out as ``partition`` says and give
    it the name."""
    return [
        "DROP TABLE IF EXISTS {db}.helpdesk_moments_rebuilt",
        f"CREATE TABLE {{db}}.helpdesk_moments_rebuilt {_TABLE} {ENGINE} {partition} {ORDER}",
        "INSERT INTO {db}.helpdesk_moments_rebuilt"
        " SETTINGS max_partitions_per_insert_block = 0,"
        " max_bytes_before_external_sort = 1000000000"
        " SELECT * FROM {db}.helpdesk_moments FINAL ORDER BY toMonday(t)",
        "EXCHANGE TABLES {db}.helpdesk_moments AND {db}.helpdesk_moments_rebuilt",
        "DROP TABLE {db}.helpdesk_moments_rebuilt",
    ]


FORWARDS = _rebuild("PARTITION BY toMonday(t)")

BACKWARDS = _rebuild("")
