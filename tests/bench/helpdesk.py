"""``helpdesk_query_p95_ms``: dashboard queries over a tenant holding ≥ 5M raw events in chdb.

What the API serves a dashboard polling while the stream writes: 30 days by day (unfiltered
and by channel, alternately), each question after a live batch's refresh (the tenant's latest
5,000 events, marking the month's last two days changed), with the API's kept answers
(``families/helpdesk/answers.py``), so each reads again the buckets of those days. Beside it:
``helpdesk_query_unchanged_p95_ms`` (nothing written between questions: no bucket read),
``helpdesk_query_cold_p95_ms`` (nothing kept: every bucket read, a dashboard's first question),
and the same after three refreshes spread over the month (parts spanning it: the worst layout).

Rows are generated in ClickHouse (``INSERT … SELECT … FROM numbers``) straight into
``events_raw``, so the materialized view builds the facts as the sink's inserts would; the
moments are then derived through the family's ``Derivation`` over every conversation, as
``pulse recalc`` does. A conversation has ten events (creation, assignment, contact, bot and agent
messages, resolution, a reopening for one in ten, CSAT) spread over 30 days; two other tenants
hold 10 % more. ``helpdesk_refresh_batch_ms``: what the sink pays after inserting a batch of
5,000 raw events (the tenant's latest) to refresh the moments they touched;
``helpdesk_refresh_worst_batch_ms``: the same for 5,000 events of 5,000 conversations spread
over the month.
Run alone with ``python -m tests.bench.helpdesk``; ``BENCH_HELPDESK_HISTORY=<n>`` adds n months
of the same traffic before the range to the measured tenant; ``BENCH_HELPDESK_DIR=<dir>`` keeps the
generated data there and reuses it on the next run (same range), so an experiment does not
regenerate 5M events; each run's refreshes stay in it as unmerged parts until ClickHouse merges
them, so runs on a kept directory start from the merge state the previous one left.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pulse.families.grid import grid
from pulse.families.helpdesk.answers import AnswerCache, helpdesk_answer
from pulse.families.helpdesk.derived import HelpdeskMoments
from pulse.families.helpdesk.hot_rows import HotWindows
from pulse.families.helpdesk.model import DEFAULT_SLA_MS, Bucket, HelpdeskQuery
from pulse.families.registry import DERIVATIONS
from pulse.settings import ApiSettings, ClickHouseSettings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.bench.month import DAY_MS, month, run

EVENTS = int(os.environ.get("BENCH_HELPDESK_EVENTS", "5000000"))
KEPT_DIR = os.environ.get("BENCH_HELPDESK_DIR")
HELPDESK_DERIVATIONS = tuple(d for d in DERIVATIONS if d.name.startswith("helpdesk"))
# Months of the same traffic before the range (``BENCH_HELPDESK_HISTORY``): a question's cost
# should not grow with them.
HISTORY = int(os.environ.get("BENCH_HELPDESK_HISTORY", "0"))
QUERIES = 40
BATCH = 5_000
ZONE = "America/New_York"

# {tenant} and {start_ms} are filled in by code; {span} spreads creations over 30 days.
_GENERATE = """
INSERT INTO events_raw (tenant_id, event_id, event_type, occurred_at, channel, sender_type,
                        conversation_id, agent_id, org_unit, priority, score, source_topic,
                        source_partition, source_offset, ingested_at)
SELECT '{tenant}', concat('{tenant}-{era}', toString(number)),
       multiIf(k = 0, 'conversation.created', k = 1, 'conversation.assigned',
               k IN (2, 6), 'message.received', k = 7, 'conversation.resolved',
               k = 8 AND conv % 10 = 0, 'conversation.reopened', k = 9, 'csat.submitted',
               'message.sent'),
       fromUnixTimestamp64Milli(toInt64(created + multiIf(
           k = 0, 0, k = 1, 1000, k = 2, 2000, k = 3, 3000,
           k = 4, 60000 + (conv % 7200) * 1000, k = 5, 8000000,
           k = 6, 8100000, k = 7, 9000000 + (conv % 86400) * 1000,
           k = 8, 9100000 + (conv % 86400) * 1000, 9200000 + (conv % 86400) * 1000)), 'UTC'),
       ['whatsapp', 'email', 'webchat'][conv % 3 + 1],
       multiIf(k = 3, 'bot', k IN (2, 6), 'contact', 'agent'),
       concat('conv-{era}', toString(conv)),
       if(k IN (1, 4, 5, 8), concat('agent-', toString(conv % 50)), ''),
       if(k = 1, concat('team-', toString(conv % 5)), ''),
       if(k = 0, ['low', 'normal', 'high', 'urgent'][conv % 4 + 1], ''),
       if(k = 9, toUInt8(1 + conv % 5), NULL),
       'pulse.events.conversations', 0, number, now64(3)
FROM (SELECT number, intDiv(number, 10) AS conv, number % 10 AS k,
             {start_ms} + intDiv(conv * {span}, {conversations}) AS created
      FROM numbers({events}))
"""


def load(db: ClickHouse, tenant: str, events: int, start_ms: int) -> None:
    """``events`` of ``tenant`` over the 30 days from ``start_ms``, and for the measured tenant
    as many in each of the :data:`HISTORY` months of 30 days before."""
    conversations = max(events // 10, 1)
    eras = range(HISTORY + 1) if tenant == "acme" else range(1)
    for era in eras:
        db.execute(
            _GENERATE.format(
                tenant=tenant,
                era=f"h{era}-" if era else "",
                start_ms=start_ms - era * 30 * DAY_MS,
                span=30 * DAY_MS,
                conversations=conversations,
                events=conversations * 10,
            )
        )


# A live sink batch: the latest events of the tenant. The worst case: one resolution of each of
# BATCH conversations spread over the month, so the refresh rewrites BATCH whole conversations.
_LATEST = "ORDER BY occurred_at DESC, event_id"
_SPREAD = "AND event_type = 'conversation.resolved' ORDER BY cityHash64(event_id, {seed:UInt8})"


def refresh_batch_ms(db: ClickHouse, moments: HelpdeskMoments, order: str) -> float:
    """The median time of refreshing what one batch of :data:`BATCH` raw events touched."""
    timings = []
    for seed in range(3):
        raw = db.query(
            "SELECT tenant_id, event_type, conversation_id, sender_type FROM events_raw"
            f" WHERE tenant_id = 'acme' {order} LIMIT {{n:UInt32}} OFFSET {{skip:UInt32}}",
            {"seed": seed, "n": BATCH, "skip": seed * BATCH},
        )
        block = {c: [r[c] for r in raw] for c in ("tenant_id", "event_type", "conversation_id")}
        block["sender_type"] = [r["sender_type"] for r in raw]
        keys = moments.touched(block)
        began = time.perf_counter()
        moments.refresh(db, keys)
        timings.append((time.perf_counter() - began) * 1000)
        print(f"refresh of {len(keys)} conversations: {timings[-1]:.0f} ms", file=sys.stderr)
    return sorted(timings)[1]


def query_p95_ms(
    db: ClickHouse,
    buckets: tuple[Bucket, ...],
    now_ms: int,
    cache: AnswerCache | None = None,
    between: Callable[[], object] = lambda: None,
    hot: HotWindows | None = None,
) -> float:
    """p95 of the dashboard's questions: 30 days by day, alternately unfiltered and by channel,
    with the API's kept answers in ``cache`` (None: every bucket read) and recent moments in
    ``hot``, ``between`` run before each one untimed (a live batch's refresh)."""
    timings = []
    for i in range(QUERIES + 2):
        query = HelpdeskQuery(
            "acme",
            buckets,
            ZONE,
            "day",
            now_ms,
            DEFAULT_SLA_MS,
            channel="email" if i % 2 else None,
        )
        between()
        began = time.perf_counter()
        answer = helpdesk_answer(db, query, cache, hot)
        if i > 1:  # the first of each question warms the caches
            timings.append((time.perf_counter() - began) * 1000)
    print(f"totals of the last query: {answer.totals}", file=sys.stderr)
    timings.sort()
    print(f"helpdesk query ms: {[round(t) for t in timings]}", file=sys.stderr)
    return timings[-(-95 * len(timings) // 100) - 1]


def live_batch(db: ClickHouse, moments: HelpdeskMoments) -> Callable[[], object]:
    """Refreshing what the tenant's latest :data:`BATCH` raw events touched, as the sink does
    after storing them: it marks their days (the month's last two) changed."""
    raw = db.query(
        "SELECT tenant_id, event_type, conversation_id, sender_type FROM events_raw"
        f" WHERE tenant_id = 'acme' {_LATEST} LIMIT {{n:UInt32}}",
        {"n": BATCH},
    )
    block = {c: [r[c] for r in raw] for c in ("tenant_id", "event_type", "conversation_id")}
    block["sender_type"] = [r["sender_type"] for r in raw]
    keys = moments.touched(block)
    return lambda: moments.refresh(db, keys)


def derive(db: ClickHouse) -> dict[str, int]:
    """Every helpdesk table from the raw events."""
    for derivation in HELPDESK_DERIVATIONS:
        for keys in derivation.keys_in(db, None, None, None):
            derivation.refresh(db, keys)
    return {}


def measure(workdir: Path) -> dict[str, float]:
    db = connect(ClickHouseSettings(url=f"chdb://{workdir / 'chdb'}", database="pulse"))
    try:
        Migrator(db, "pulse").up()
        now_ms = month(db, workdir, EVENTS, load, derive)["now_ms"]
        start_ms = now_ms - 30 * DAY_MS
        moments = HelpdeskMoments()
        refresh_ms = refresh_batch_ms(db, moments, _LATEST)
        buckets = grid(start_ms, now_ms, "day", ZONE, 10_000)
        cache = AnswerCache(256 << 20, 900)
        # The API's settings by default, its clock at the month's end.
        api = ApiSettings()
        hot = HotWindows(
            api.helpdesk_hot_days,
            api.helpdesk_hot_mb << 20,
            api.helpdesk_cache_seconds / 2,
            lambda: now_ms / 1000,
        )
        live = query_p95_ms(db, buckets, now_ms, cache, live_batch(db, moments), hot)
        unchanged = query_p95_ms(db, buckets, now_ms, cache, hot=hot)
        cold = query_p95_ms(db, buckets, now_ms)
        # Parts spanning the whole month make every FINAL read merge: the worst case.
        worst_refresh_ms = refresh_batch_ms(db, moments, _SPREAD)
        worst_cold = query_p95_ms(db, buckets, now_ms)
        return {
            "helpdesk_events": EVENTS,
            "helpdesk_query_p95_ms": round(live, 1),
            "helpdesk_query_unchanged_p95_ms": round(unchanged, 1),
            "helpdesk_query_cold_p95_ms": round(cold, 1),
            "helpdesk_query_cold_after_spread_refreshes_p95_ms": round(worst_cold, 1),
            "helpdesk_refresh_batch_ms": round(refresh_ms, 1),
            "helpdesk_refresh_worst_batch_ms": round(worst_refresh_ms, 1),
        }
    finally:
        db.close()


def main() -> None:
    run(KEPT_DIR, "helpdesk", measure)


if __name__ == "__main__":
    main()
