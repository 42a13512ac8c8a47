"""``drilldown_first_page_p95_ms`` and ``export_rows_per_s`` over a tenant holding ≥ 5M raw events.

The dataset is the helpdesk benchmark's month (``tests/bench/helpdesk.py``: ten events a
conversation, three tenants, the facts derived), so ``BENCH_DRILLDOWN_DIR`` may point at a
``BENCH_HELPDESK_DIR`` already generated. The first page: 100 rows of ``eventRows`` and of
``conversationRows`` over the whole month, unfiltered and filtered (a channel, a priority), as
a token without ``analytics.pii`` reads them from a tenant marking ``agent_id`` and ``agent``
sensitive (so masking is in the timing); the p95 is over all of them, of wall time and of the
process's CPU time (chdb runs in process), which other work on a shared machine inflates less.
The export: the month's events as Parquet, in one process, page by page as ``/export`` writes
them (up to ``BENCH_EXPORT_ROWS``). Run alone with ``python -m tests.bench.drilldown``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

from pulse.families.drilldown.conversations import ConversationRows
from pulse.families.drilldown.events import EventRows
from pulse.families.drilldown.masking import masked
from pulse.families.drilldown.rows import RowSource
from pulse.families.helpdesk.model import DEFAULT_SLA_MS
from pulse.graphql.export_formats import arrow_schema, parquet_chunks
from pulse.graphql.export_pages import ExportCount, pages
from pulse.settings import ClickHouseSettings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.bench import helpdesk
from tests.bench.month import DAY_MS, month, run

EVENTS = int(os.environ.get("BENCH_DRILLDOWN_EVENTS", "5000000"))
KEPT_DIR = os.environ.get("BENCH_DRILLDOWN_DIR")
EXPORT_ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "1000000"))
QUERIES = 20
SENSITIVE = frozenset({"agent_id", "agent"})


def sources(db: ClickHouse, start_ms: int, now_ms: int) -> dict[str, RowSource]:
    """The first pages timed, by name."""
    return {
        "events": EventRows(db, "acme", start_ms, now_ms),
        "events by channel": EventRows(db, "acme", start_ms, now_ms, channel="email"),
        "events of a type": EventRows(
            db, "acme", start_ms, now_ms, event_types=["conversation.resolved"]
        ),
        "conversations": ConversationRows(db, "acme", start_ms, now_ms, now_ms, DEFAULT_SLA_MS),
        "urgent conversations": ConversationRows(
            db, "acme", start_ms, now_ms, now_ms, DEFAULT_SLA_MS, priority="urgent"
        ),
    }


def cpu_ms() -> float:
    """This process's CPU time, ClickHouse's threads included (chdb runs in process)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return (used.ru_utime + used.ru_stime) * 1000


def p95(timings: list[float]) -> float:
    timings = sorted(timings)
    return timings[-(-95 * len(timings) // 100) - 1]


def first_page_p95_ms(db: ClickHouse, start_ms: int, now_ms: int) -> tuple[float, float]:
    """p95 of first pages of 100 rows over every source, masked, after one warming read each:
    wall time, and CPU time (what a busy shared machine does not inflate)."""
    timings, cpu = [], []
    for name, source in sources(db, start_ms, now_ms).items():
        shown = masked(source, SENSITIVE)
        shown.page(None, 100)
        mine = []
        for _ in range(QUERIES):
            began, began_cpu = time.perf_counter(), cpu_ms()
            page = shown.page(None, 100)
            mine.append((time.perf_counter() - began) * 1000)
            cpu.append(cpu_ms() - began_cpu)
        assert len(page.rows) == 100, name
        print(f"{name} first page ms: {sorted(round(t) for t in mine)}", file=sys.stderr)
        timings += mine
    return p95(timings), p95(cpu)


def export_rows_per_s(db: ClickHouse, start_ms: int, now_ms: int) -> tuple[float, float]:
    """The month's events written as Parquet, page by page, up to :data:`EXPORT_ROWS`: rows
    per second of wall time and per second of CPU time."""
    source = masked(EventRows(db, "acme", start_ms, now_ms), SENSITIVE)
    written = ExportCount()
    began, began_cpu = time.perf_counter(), cpu_ms()
    chunks = parquet_chunks(arrow_schema(source.columns), pages(source, EXPORT_ROWS, written))
    size = sum(len(c) for c in chunks)
    seconds, cpu_seconds = time.perf_counter() - began, (cpu_ms() - began_cpu) / 1000
    print(
        f"exported {written.rows:,} rows, {size / 1e6:.1f} MB in {seconds:.1f} s"
        f" ({cpu_seconds:.1f} s of CPU)",
        file=sys.stderr,
    )
    return written.rows / seconds, written.rows / cpu_seconds


def measure(workdir: Path) -> dict[str, float]:
    db = connect(ClickHouseSettings(url=f"chdb://{workdir / 'chdb'}", database="pulse"))
    try:
        Migrator(db, "pulse").up()
        found = month(db, workdir, EVENTS, helpdesk.load, helpdesk.derive)
        now_ms = found["now_ms"]
        start_ms = now_ms - 30 * DAY_MS
        wall, cpu = first_page_p95_ms(db, start_ms, now_ms)
        rate, cpu_rate = export_rows_per_s(db, start_ms, now_ms)
        return {
            "drilldown_events": found["events"],
            "drilldown_first_page_p95_ms": round(wall, 1),
            "drilldown_first_page_cpu_p95_ms": round(cpu, 1),
            "export_rows_per_s": round(rate),
            "export_rows_per_cpu_s": round(cpu_rate),
        }
    finally:
        db.close()


def main() -> None:
    run(KEPT_DIR, "drilldown", measure)


if __name__ == "__main__":
    main()
