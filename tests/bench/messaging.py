"""Messaging from slot rollups: ``messagingMetrics``' query and the sink's refresh, measured.

Raw message events are generated in ClickHouse (``INSERT … SELECT … FROM numbers``) for one
tenant over 30 days (plus 10 % for two others), with channels, org units, campaigns and
templates; ``messaging_slots`` is built by the derivation's own ``keys_in``/``refresh``. Then:

- ``messaging_query_p50_ms``/``p95``: 30 day buckets in America/New_York, with and without a
  channel filter (the ClickHouse read of ``messagingMetrics``; first responses excluded);
- ``messaging_refresh_*_batch_ms``: one 5,000-event batch stored and refreshed, as the sink does
  after an insert (median of 5): recent events (the last 10 minutes), recent ones with 10
  stragglers spread over the month before, and all of them spread over the 30 days (every slot
  of the month recounted: the worst case).

Run alone with ``python -m tests.bench.messaging``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from pulse.families.grid import grid
from pulse.families.messaging.derived import MESSAGING_SLOTS
from pulse.families.messaging.model import Filters, MessagingQuery
from pulse.families.messaging.query import messaging_answer
from pulse.settings import ClickHouseSettings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator

EVENTS = int(os.environ.get("BENCH_MESSAGING_EVENTS", "3000000"))
BATCH = 5_000
QUERIES = 16
DAY_MS = 86_400_000
ZONE = "America/New_York"

# {tenant}, {prefix}, {start_ms}, {span} and {events} are filled in by code.
_GENERATE = """
INSERT INTO events_raw (tenant_id, event_id, event_type, occurred_at, channel, org_unit,
                        campaign_id, template_id, source_topic, source_partition, source_offset,
                        ingested_at)
SELECT '{tenant}', concat('{prefix}', toString(number)),
       ['message.sent', 'message.sent', 'message.delivered', 'message.delivered', 'message.read',
        'message.clicked', 'message.failed', 'message.received'][number % 8 + 1],
       fromUnixTimestamp64Milli(toInt64({start_ms} + intDiv(number * {span}, {events})), 'UTC'),
       ['whatsapp', 'email', 'sms', 'push'][intDiv(number, 8) % 4 + 1],
       ['sales', 'support', 'care'][intDiv(number, 32) % 3 + 1],
       if(number % 3 = 0, concat('campaign-', toString(intDiv(number, 96) % 20)), ''),
       if(number % 3 = 0, concat('template-', toString(intDiv(number, 96) % 10)), ''),
       'pulse.events.conversations', 0, number, now64(3)
FROM numbers({events})
"""


def load(db: ClickHouse, tenant: str, prefix: str, events: int, start_ms: int, span: int) -> None:
    db.execute(
        _GENERATE.format(tenant=tenant, prefix=prefix, start_ms=start_ms, span=span, events=events)
    )


def refresh_all(db: ClickHouse) -> int:
    return sum(
        MESSAGING_SLOTS.refresh(db, chunk)
        for chunk in MESSAGING_SLOTS.keys_in(db, None, None, None)
    )


def refresh_batch(
    db: ClickHouse, prefix: str, start_ms: int, span: int, stragglers: int = 0
) -> float:
    """Store one batch like the sink (``stragglers`` of its events spread over the 30 days
    before ``start_ms``) and refresh what it touched; the refresh's ms."""
    load(db, "acme", prefix, BATCH - stragglers, start_ms, span)
    if stragglers:
        load(db, "acme", f"{prefix}s-", stragglers, start_ms - 30 * DAY_MS, 30 * DAY_MS)
    rows = db.query(
        "SELECT tenant_id, event_type, toUnixTimestamp64Milli(occurred_at) AS occurred_at"
        " FROM events_raw WHERE startsWith(event_id, {p:String})",
        {"p": prefix},
    )
    raw = {c: [r[c] for r in rows] for c in ("tenant_id", "event_type", "occurred_at")}
    began = time.perf_counter()
    MESSAGING_SLOTS.refresh(db, MESSAGING_SLOTS.touched(raw))
    return (time.perf_counter() - began) * 1000


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return round(ordered[-(-p * len(ordered) // 100) - 1], 1)


def measure(workdir: Path) -> dict[str, float]:
    db = connect(ClickHouseSettings(url=f"chdb://{workdir / 'chdb'}", database="pulse"))
    try:
        Migrator(db, "pulse").up()
        now_ms = int(time.time() * 1000) // DAY_MS * DAY_MS
        start_ms = now_ms - 30 * DAY_MS
        began = time.perf_counter()
        load(db, "acme", "a-", EVENTS, start_ms, 30 * DAY_MS)
        for tenant in ("globex", "initech"):
            load(db, tenant, f"{tenant}-", EVENTS // 20, start_ms, 30 * DAY_MS)
        loaded = time.perf_counter() - began
        began = time.perf_counter()
        rows = refresh_all(db)
        built = time.perf_counter() - began
        print(
            f"generated {EVENTS * 1.1:,.0f} raw events in {loaded:.1f} s; {rows:,} slot rows"
            f" refreshed from them in {built:.1f} s",
            file=sys.stderr,
        )
        buckets = grid(start_ms, now_ms, "day", ZONE, 10_000)
        timings = []
        for i in range(QUERIES + 1):
            filters = Filters(channel="email") if i % 2 else Filters()
            query = MessagingQuery("acme", buckets, ZONE, "day", filters)
            began = time.perf_counter()
            answer = messaging_answer(db, query)
            if i:  # the first query warms the caches
                timings.append((time.perf_counter() - began) * 1000)
        print(f"totals of the last query: {answer.totals}", file=sys.stderr)
        print(f"messaging query ms: {[round(t) for t in sorted(timings)]}", file=sys.stderr)
        recent = [refresh_batch(db, f"r{n}-", now_ms - 600_000, 600_000) for n in range(5)]
        mixed = [refresh_batch(db, f"m{n}-", now_ms - 600_000, 600_000, 10) for n in range(5)]
        late = [refresh_batch(db, f"l{n}-", start_ms, 30 * DAY_MS) for n in range(5)]
        for name, runs in (("recent", recent), ("mixed", mixed), ("late", late)):
            print(f"refresh ms, {name}: {[round(t) for t in runs]}", file=sys.stderr)
        return {
            "messaging_events": EVENTS,
            "messaging_query_p50_ms": percentile(timings, 50),
            "messaging_query_p95_ms": percentile(timings, 95),
            "messaging_refresh_recent_batch_ms": percentile(recent, 50),
            "messaging_refresh_mixed_batch_ms": percentile(mixed, 50),
            "messaging_refresh_late_batch_ms": percentile(late, 50),
        }
    finally:
        db.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pulse-bench-messaging-") as tmp:
        print(json.dumps(measure(Path(tmp))))


if __name__ == "__main__":
    main()
