"""The row contract's two read tables, for the API tests until ``pulse.sinks.migrator`` lands."""

from __future__ import annotations

from pulse.sinks.clickhouse import ClickHouse

MESSAGING_COUNTERS = """
CREATE TABLE IF NOT EXISTS messaging_counters (
    tenant_id String, granularity LowCardinality(String),
    bucket_start DateTime64(3, 'UTC'), bucket_end DateTime64(3, 'UTC'),
    channel String, slice String, version UInt64,
    sent UInt64, delivered UInt64, read UInt64, clicked UInt64, failed UInt64,
    complained UInt64, unsubscribed UInt64, received UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant_id, granularity, bucket_start, channel, slice)
"""

CONVERSATION_FRT = """
CREATE TABLE IF NOT EXISTS conversation_frt (
    tenant_id String, conversation_id String, channel String, priority LowCardinality(String),
    created_at DateTime64(3, 'UTC'), first_reply_at DateTime64(3, 'UTC'), frt_ms Int64,
    hour_start DateTime64(3, 'UTC'), day_start DateTime64(3, 'UTC'),
    week_start DateTime64(3, 'UTC'), month_start DateTime64(3, 'UTC'),
    slice String, version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant_id, conversation_id)
"""


def create_tables(db: ClickHouse) -> None:
    db.execute(MESSAGING_COUNTERS)
    db.execute(CONVERSATION_FRT)
