"""The month of generated events the query benchmarks (helpdesk, outreach, web) read.

Each loads its family's events for three tenants over the 30 days before today (UTC), the big
one with ``events`` and two with a twentieth of it, derives its tables once and reuses the lot
when the same directory is given again (``BENCH_<FAMILY>_DIR``): generating 5M events takes
minutes, a query takes milliseconds.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pulse.sinks.clickhouse import ClickHouse

DAY_MS = 86_400_000
DAYS = 30
# The tenant the dashboards ask about, and two others whose rows share its tables.
TENANT = "acme"
OTHERS = ("globex", "initech")

# Looks half a second apart without a merge running before a dataset counts as settled.
QUIET = 10

Loader = Callable[[ClickHouse, str, int, int], None]


def month(
    db: ClickHouse,
    workdir: Path,
    events: int,
    load: Loader,
    derive: Callable[[ClickHouse], dict[str, int]],
) -> dict[str, int]:
    """The dataset's facts (``now_ms``, the range's end, ``events`` and what ``derive``
    reported), generated unless ``workdir`` already holds them (``generated.json``)."""
    kept = workdir / "generated.json"
    if kept.exists():
        settle(db)
        return {name: int(value) for name, value in json.loads(kept.read_text()).items()}
    now_ms = int(time.time() * 1000) // DAY_MS * DAY_MS
    start_ms = now_ms - DAYS * DAY_MS
    began = time.perf_counter()
    load(db, TENANT, events, start_ms)
    for tenant in OTHERS:
        load(db, tenant, events // 20, start_ms)
    loaded = time.perf_counter() - began
    print(f"generated {events * 1.1:,.0f} raw events in {loaded:.1f} s", file=sys.stderr)
    began = time.perf_counter()
    derived = derive(db)
    print(f"derived {derived} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    found = {"now_ms": now_ms, "events": events, **derived}
    kept.write_text(json.dumps(found))
    settle(db)
    return found


def settle(db: ClickHouse, limit_s: float = 300.0) -> None:
    """Waits for the background merges of the freshly loaded parts to end (at most ``limit_s``):
    a month of events arrives over a month, so the dashboards are timed on merged tables, not
    against merges of millions of rows loaded seconds before."""
    began = time.perf_counter()
    idle = 0
    # A merge is scheduled a moment after the parts it merges are written: settled means none
    # running for QUIET consecutive looks.
    while idle < QUIET:
        if time.perf_counter() - began > limit_s:
            print(f"merges still running after {limit_s:.0f} s", file=sys.stderr)
            return
        time.sleep(0.5)
        running = db.query("SELECT count() AS n FROM system.merges")[0]["n"]
        idle = 0 if running else idle + 1
    print(f"merges settled in {time.perf_counter() - began:.1f} s", file=sys.stderr)


def run(kept_dir: str | None, name: str, measure: Callable[[Path], dict[str, float]]) -> None:
    """Prints ``measure``'s figures as one JSON line, measured in ``kept_dir`` (kept for the
    next run) or in a temporary directory."""
    if kept_dir:
        Path(kept_dir).mkdir(parents=True, exist_ok=True)
        print(json.dumps(measure(Path(kept_dir))))
        return
    with tempfile.TemporaryDirectory(prefix=f"pulse-bench-{name}-") as tmp:
        print(json.dumps(measure(Path(tmp))))
