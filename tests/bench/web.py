"""``web_query_p95_ms``: the 30-day web dashboard over a tenant holding ≥ 5M raw events in chdb.

Rows are generated in ClickHouse (``INSERT … SELECT … FROM numbers``) straight into
``events_raw``, so the materialized view copies the non-dnt ones into ``web_visitor_events`` as
the sink's inserts would; ``web_sessions`` is then derived through the family's ``Derivation``
over every visitor, as ``pulse recalc`` does, then the dnt page views of the slots by their own
derivation. A session has five events a minute apart (four page views and a page view or a
``signup`` web.event), one session in 50 is dnt, 300k visitors come
back over 30 days; two other tenants hold 10 % more. The dashboard: sessions, bounce rate and
session length by day (``webMetrics``) and the top 10 pages (``webBreakdown``), in New York.
``web_refresh_batch_ms``: what the sink pays after inserting a batch of 5,000 raw events (the
tenant's latest) to refresh the visitors they touched and recount the slots of their dnt page
views, the batch replayed (no visitor's slot changes);
``web_refresh_new_batch_ms``: the same with the batch's slots rewritten, as for a live batch.
Run alone with ``python -m tests.bench.web``; ``BENCH_WEB_DIR=<dir>`` keeps the generated data
and reuses it on the next run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pulse.families.grid import grid
from pulse.families.web.breakdown import web_breakdown
from pulse.families.web.derived import WEB_SESSIONS
from pulse.families.web.dnt_derived import WEB_DNT_VIEWS
from pulse.families.web.model import WebQuery
from pulse.families.web.query import web_answer
from pulse.settings import ClickHouseSettings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.bench.month import DAY_MS, month, run

EVENTS = int(os.environ.get("BENCH_WEB_EVENTS", "5000000"))
KEPT_DIR = os.environ.get("BENCH_WEB_DIR")
VISITORS = 300_000
QUERIES = 40
BATCH = 5_000
ZONE = "America/New_York"

# {tenant}, {start_ms}, {span}, {sessions}, {events} are filled in by code.
_GENERATE = """
INSERT INTO events_raw (tenant_id, event_id, event_type, occurred_at, name, visitor_id, url,
                        referrer, utm_source, device, browser, os, country, dnt, source_topic,
                        source_partition, source_offset, ingested_at)
SELECT '{tenant}', concat('{tenant}-', toString(number)),
       if(k = 4 AND s % 3 = 0, 'web.event', 'web.page_view'),
       fromUnixTimestamp64Milli(toInt64({start_ms} + intDiv(s * {span}, {sessions})
                                        + k * 60000 * (s % 4)), 'UTC'),
       if(k = 4 AND s % 3 = 0, 'signup', ''),
       if(hidden, '', concat('v-', toString(s % {visitors}))),
       ['/', '/pricing', '/docs', '/blog', '/features', '/about'][(s * 7 + k * (s % 4)) % 6 + 1],
       ['', 'https://google.com', 'https://news.ycombinator.com'][s % 3 + 1],
       ['', 'google', 'newsletter'][s % 3 + 1],
       ['desktop', 'mobile', 'tablet'][s % 3 + 1],
       ['chrome', 'firefox', 'safari'][s % 5 % 3 + 1],
       ['linux', 'macos', 'windows', 'ios'][s % 4 + 1],
       ['PT', 'US', 'BR', 'DE'][s % 7 % 4 + 1],
       if(hidden, true, NULL),
       'pulse.events.web', 0, number, now64(3)
FROM (SELECT number, intDiv(number, 5) AS s, number % 5 AS k, s % 50 = 0 AS hidden
      FROM numbers({events}))
"""


def load(db: ClickHouse, tenant: str, events: int, start_ms: int) -> None:
    sessions = max(events // 5, 1)
    db.execute(
        _GENERATE.format(
            tenant=tenant,
            start_ms=start_ms,
            span=30 * DAY_MS,
            sessions=sessions,
            visitors=VISITORS,
            events=sessions * 5,
        )
    )


# The rollups' record of a batch's events, dropped so a refresh meets them as a live batch's
# new events (a repeated refresh finds its slots unchanged and rewrites none).
_UNROLL = (
    "DELETE FROM web_visitor_sessions_rolled WHERE tenant_id = 'acme'"
    " AND event_id IN {ids:Array(String)}"
)

# ...and the dnt page views of its slots, so the dnt recount meets them as new too.
_UNCOUNT = (
    "INSERT INTO web_slots SELECT * REPLACE (toUInt64(0) AS page_views,"
    " toUInt64(toUnixTimestamp64Micro(now64(6))) AS version) FROM web_slots FINAL"
    " WHERE tenant_id = 'acme' AND kind IN (2, 3)"
    " AND toInt64(toUnixTimestamp(slot)) * 1000 IN {slots:Array(Int64)}"
)


def refresh_batch_ms(db: ClickHouse, as_new: bool) -> float:
    """The median time of refreshing the visitors of a batch of the tenant's latest events;
    ``as_new``: with the batch's slots rewritten, as for events the sink has not seen."""
    timings = []
    for seed in range(3):
        raw = db.query(
            "SELECT tenant_id, event_type, visitor_id, dnt, event_id,"
            " toUnixTimestamp64Milli(occurred_at) AS occurred_at FROM events_raw"
            " WHERE tenant_id = 'acme' ORDER BY occurred_at DESC, event_id"
            " LIMIT {n:UInt32} OFFSET {skip:UInt32}",
            {"n": BATCH, "skip": seed * BATCH},
        )
        columns = ("tenant_id", "event_type", "visitor_id", "dnt", "occurred_at")
        block = {c: [r[c] for r in raw] for c in columns}
        keys = WEB_SESSIONS.touched(block)
        slots = WEB_DNT_VIEWS.touched(block)
        if as_new:
            db.execute(_UNROLL, {"ids": [str(r["event_id"]) for r in raw]})
            db.execute(_UNCOUNT, {"slots": sorted(s for _, s in slots)})
        began = time.perf_counter()
        WEB_SESSIONS.refresh(db, keys)
        WEB_DNT_VIEWS.refresh(db, slots)
        timings.append((time.perf_counter() - began) * 1000)
        print(
            f"refresh of {len(keys)} visitors, {len(slots)} dnt slots: {timings[-1]:.0f} ms",
            file=sys.stderr,
        )
    return sorted(timings)[1]


def query_p95_ms(db: ClickHouse, start_ms: int, now_ms: int) -> float:
    """p95 of the dashboard: figures by day and the top 10 pages, both statements."""
    buckets = grid(start_ms, now_ms, "day", ZONE, 10_000)
    question = WebQuery("acme", start_ms, now_ms, ZONE, "day", buckets, engaged=("signup",))
    timings = []
    for i in range(QUERIES + 1):
        began = time.perf_counter()
        answer = web_answer(db, question)
        pages = web_breakdown(db, question, "page", 10)
        if i:  # the first query warms the caches
            timings.append((time.perf_counter() - began) * 1000)
    print(f"totals: {answer.totals}; top page: {pages[0]}", file=sys.stderr)
    timings.sort()
    print(f"web dashboard ms: {[round(t) for t in timings]}", file=sys.stderr)
    return timings[-(-95 * len(timings) // 100) - 1]


def derive(db: ClickHouse) -> dict[str, int]:
    """The sessions and slots of every visitor, then the dnt page views of the slots."""
    for derivation in (WEB_SESSIONS, WEB_DNT_VIEWS):
        for keys in derivation.keys_in(db, None, None, None):
            derivation.refresh(db, keys)
    return {}


def measure(workdir: Path) -> dict[str, float]:
    db = connect(ClickHouseSettings(url=f"chdb://{workdir / 'chdb'}", database="pulse"))
    try:
        Migrator(db, "pulse").up()
        now_ms = month(db, workdir, EVENTS, load, derive)["now_ms"]
        start_ms = now_ms - 30 * DAY_MS
        refresh_ms = refresh_batch_ms(db, as_new=False)
        new_batch_ms = refresh_batch_ms(db, as_new=True)
        p95 = query_p95_ms(db, start_ms, now_ms)
        return {
            "web_events": EVENTS,
            "web_query_p95_ms": round(p95, 1),
            "web_refresh_batch_ms": round(refresh_ms, 1),
            "web_refresh_new_batch_ms": round(new_batch_ms, 1),
        }
    finally:
        db.close()


def main() -> None:
    run(KEPT_DIR, "web", measure)


if __name__ == "__main__":
    main()
