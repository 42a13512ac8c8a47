"""The web slot rollups answer like the recomputation: replays, interrupted refreshes, odd zones."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.families.grid import grid
from pulse.families.web.breakdown import web_breakdown
from pulse.families.web.derived import WEB_SESSIONS
from pulse.families.web.model import WebQuery
from pulse.families.web.query import web_answer
from pulse.families.web.sessions_sql import SOME, refresh_sql
from pulse.sinks.clickhouse import ClickHouse
from tests.families import web_oracle as oracle
from tests.families.web_dataset import first_batch, second_batch, window
from tests.families.web_events import COLUMNS, store_web

pytestmark = pytest.mark.clickhouse


def _got(counts: Any) -> tuple[int, int, int, int, int]:
    return (counts.page_views, counts.visitors, counts.sessions, counts.bounces, counts.length_ms)


def _check(db: ClickHouse, rows: list[dict[str, Any]], zone: str, granularity: Any) -> None:
    from_ms, to_ms = window()
    q = WebQuery(
        "acme", from_ms, to_ms, zone, granularity, grid(from_ms, to_ms, granularity, zone, 10_000)
    )
    answer = web_answer(db, q)
    want = oracle.figures(rows, "acme", from_ms, to_ms, oracle.by_bucket(granularity, zone))
    got = {
        b.start_ms: _got(c)
        for b, c in zip(q.buckets, answer.buckets, strict=True)
        if _got(c) != (0,) * 5
    }
    assert got == {k: oracle.counted(f) for k, f in want.items()}
    total = oracle.figures(rows, "acme", from_ms, to_ms, oracle.whole)["total"]
    assert _got(answer.totals) == oracle.counted(total)
    pages = oracle.figures(rows, "acme", from_ms, to_ms, oracle.by_dimension("page"))
    expected = sorted(
        ((value, oracle.counted(f)) for value, f in pages.items()),
        key=lambda item: (-item[1][1], -item[1][0], item[0]),
    )
    assert [(r.value, _got(r.counts)) for r in web_breakdown(db, q, "page", 100)] == expected


def test_a_replayed_batch_counts_its_page_views_once(db: ClickHouse) -> None:
    """The same batch stored twice (dnt page views included) gives the figures of one."""
    rows = first_batch()
    store_web(db, rows)
    store_web(db, rows)
    _check(db, rows, "Europe/Lisbon", "day")


def test_a_refresh_interrupted_before_its_slots_is_completed_by_the_replay(
    db: ClickHouse,
) -> None:
    """Sessions rewritten by a late event but slots not yet (a crash): the replay's refresh
    still finds the slots the merge changed."""
    first, late = first_batch(), second_batch()
    store_web(db, first)
    db.insert("events_raw", late, COLUMNS)
    db.execute(refresh_sql(SOME), {"tenant_id": "acme", "ids": ["late"]})
    WEB_SESSIONS.refresh(db, {("acme", "late")})
    _check(db, first + late, "Europe/Lisbon", "day")


def test_hours_of_a_quarter_hour_zone_are_whole_slots(db: ClickHouse) -> None:
    """Kathmandu's hours start at a quarter past UTC hours; its hourly figures stay exact."""
    first, late = first_batch(), second_batch()
    store_web(db, first)
    store_web(db, late)
    _check(db, first + late, "Asia/Kathmandu", "hour")
