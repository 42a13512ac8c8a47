"""Where a helpdesk dashboard question's time goes, on the data ``tests.bench.helpdesk`` kept.

Run ``BENCH_HELPDESK_DIR=<dir> python -m tests.bench.helpdesk`` once, then
``BENCH_HELPDESK_DIR=<dir> python -m tests.bench.helpdesk_profile [rounds]``: it times the
bench's unfiltered question read from scratch (30 days by day, New York) and reads of its
parts, interleaved round by round so that a load change on the shared cores hits every line
alike, and prints median, p95 and minimum per line with the load average. Lines marked "not
exact" drop what exactness needs (``FINAL``) and only bound what a cheaper read could gain.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pulse.families.grid import grid
from pulse.families.helpdesk.answers import helpdesk_answer
from pulse.families.helpdesk.figures_sql import START, creations_sql, events_sql
from pulse.families.helpdesk.model import DEFAULT_SLA_MS, HelpdeskQuery
from pulse.families.helpdesk.query import statement_params
from pulse.settings import ClickHouseSettings
from pulse.sinks.clickhouse import ClickHouse, connect
from tests.bench.helpdesk import ZONE
from tests.bench.month import DAY_MS, TENANT

_RANGE = (
    "FROM helpdesk_moments WHERE tenant_id = {tenant_id:String}"
    " AND t < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"
)


def reads(db: ClickHouse, q: HelpdeskQuery) -> dict[str, Callable[[], object]]:
    """The timed lines: the answer read from scratch, its statements' planning and runs, and
    reading floors."""
    runs = {"run_from_0": q.from_ms, "run_to_0": q.to_ms}
    params = {**statement_params(q), **runs}
    events = events_sql(q.granularity, "", 1, True)
    creations = creations_sql(q.granularity, "", 1)
    by_day = START["day"].replace("{at}", "t")
    return {
        "SELECT 1": lambda: db.query("SELECT 1"),
        "helpdesk_answer, nothing kept (statements + Python)": lambda: helpdesk_answer(db, q),
        "planning the events statement (EXPLAIN PLAN)": lambda: db.query(
            f"EXPLAIN PLAN {events}", params
        ),
        "planning the creations statement": lambda: db.query(f"EXPLAIN PLAN {creations}", params),
        "events statement": lambda: db.query_arrow(events, params),
        "creations statement": lambda: db.query_arrow(creations, params),
        "events statement without FINAL (not exact)": lambda: db.query_arrow(
            events.replace(" FINAL", ""), params
        ),
        "count() by day of the moments, no FINAL (not exact)": lambda: db.query(
            f"SELECT {by_day} AS b, count() AS n {_RANGE} GROUP BY b", params
        ),
    }


def profile(workdir: Path, rounds: int) -> None:
    now_ms = int(json.loads((workdir / "generated.json").read_text())["now_ms"])
    db = connect(ClickHouseSettings(url=f"chdb://{workdir / 'chdb'}", database="pulse"))
    try:
        buckets = grid(now_ms - 30 * DAY_MS, now_ms, "day", ZONE, 10_000)
        q = HelpdeskQuery(TENANT, buckets, ZONE, "day", now_ms, DEFAULT_SLA_MS)
        lines = reads(db, q)
        timings: dict[str, list[float]] = {name: [] for name in lines}
        for read in lines.values():  # warm the caches
            read()
        for _ in range(rounds):
            for name, read in lines.items():
                began = time.perf_counter()
                read()
                timings[name].append((time.perf_counter() - began) * 1000)
    finally:
        db.close()
    print(f"{'read':55} {'median':>8} {'p95':>8} {'min':>8}  (ms, {rounds} rounds)")
    for name, found in timings.items():
        found.sort()
        p95 = found[-(-95 * len(found) // 100) - 1]
        print(f"{name:55} {statistics.median(found):8.1f} {p95:8.1f} {found[0]:8.1f}")
    print("load average:", " ".join(f"{x:.1f}" for x in os.getloadavg()))


def main() -> None:
    kept = os.environ.get("BENCH_HELPDESK_DIR")
    if not kept or not (Path(kept) / "generated.json").exists():
        sys.exit("run tests.bench.helpdesk with BENCH_HELPDESK_DIR first, then this with it")
    profile(Path(kept), int(sys.argv[1]) if len(sys.argv) > 1 else 9)


if __name__ == "__main__":
    main()
