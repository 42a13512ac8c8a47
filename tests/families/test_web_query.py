"""Web figures and breakdowns against the independent recomputation, in Lisbon's calendar."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.families.grid import grid
from pulse.families.web.breakdown import web_breakdown
from pulse.families.web.model import DIMENSIONS, WebQuery
from pulse.families.web.query import web_answer
from pulse.sinks.clickhouse import ClickHouse
from tests.families import web_oracle as oracle
from tests.families.web_dataset import ZONE, first_batch, second_batch, window
from tests.families.web_events import ms, store_web

pytestmark = pytest.mark.clickhouse

ROWS = first_batch() + second_batch()


@pytest.fixture
def stored(db: ClickHouse) -> ClickHouse:
    store_web(db, first_batch())
    store_web(db, second_batch())
    return db


def _question(granularity: Any, from_ms: int, to_ms: int, **kw: Any) -> WebQuery:
    buckets = grid(from_ms, to_ms, granularity, ZONE, 10_000)
    return WebQuery("acme", from_ms, to_ms, ZONE, granularity, buckets, **kw)


def _got(counts: Any) -> tuple[int, int, int, int, int]:
    return (counts.page_views, counts.visitors, counts.sessions, counts.bounces, counts.length_ms)


def _check_buckets(db: ClickHouse, q: WebQuery, **kw: Any) -> None:
    answer = web_answer(db, q)
    want = oracle.figures(
        ROWS, "acme", q.from_ms, q.to_ms, oracle.by_bucket(q.granularity, ZONE), **kw
    )
    got = {
        b.start_ms: _got(c)
        for b, c in zip(q.buckets, answer.buckets, strict=True)
        if _got(c) != (0,) * 5
    }
    assert got == {k: oracle.counted(f) for k, f in want.items()}
    total = oracle.figures(ROWS, "acme", q.from_ms, q.to_ms, oracle.whole, **kw)
    assert _got(answer.totals) == oracle.counted(total["total"])


def test_daily_figures_match_the_recomputation(stored: ClickHouse) -> None:
    """Page views (dnt included), visitors, sessions, bounces and lengths by Lisbon day."""
    _check_buckets(stored, _question("day", *window()))


def test_hourly_figures_across_the_fall_back(stored: ClickHouse) -> None:
    """On 2026-10-25 the dst session lands in the first 01:00 (+01:00) hour, whole."""
    q = _question("hour", ms("2026-10-24T22:00:00Z"), ms("2026-10-25T04:00:00Z"))
    _check_buckets(stored, q)
    first_one_am = q.buckets[[b.start_ms for b in q.buckets].index(ms("2026-10-25T00:00:00Z"))]
    assert first_one_am.offset_minutes == 60
    answer = web_answer(stored, q)
    index = q.buckets.index(first_one_am)
    assert (answer.buckets[index].sessions, answer.buckets[index].length_ms) == (1, 1_200_000)


def test_hourly_figures_across_an_hour_boundary(stored: ClickHouse) -> None:
    """A session from 13:50 to 14:10 counts in the 13:00 hour with its 20 minutes."""
    _check_buckets(
        stored, _question("hour", ms("2026-03-02T00:00:00Z"), ms("2026-03-04T00:00:00Z"))
    )


def test_engaged_events_are_not_bounces(stored: ClickHouse) -> None:
    """With signup engaged the single-view session with a signup stops being a bounce."""
    plain = web_answer(stored, _question("day", *window())).totals.bounces
    engaged = web_answer(stored, _question("day", *window(), engaged=("signup",))).totals.bounces
    assert plain - engaged == 1
    _check_buckets(stored, _question("day", *window(), engaged=("signup",)), engaged=("signup",))


@pytest.mark.parametrize(
    "filters",
    [
        {"page": "/home"},
        {"referrer": "https://google.com"},
        {"device": "desktop", "page": "/pricing"},
        {"entry_page": "/home"},
        {"country": "PT"},
        {"browser": "firefox"},
    ],
)
def test_filters_apply_to_every_figure(stored: ClickHouse, filters: dict[str, str]) -> None:
    """Filtered buckets and totals match the recomputation under the same filters."""
    _check_buckets(stored, _question("day", *window(), filters=filters), filters=filters)


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_breakdowns_match_the_recomputation(stored: ClickHouse, dimension: Any) -> None:
    """Each dimension's rows (visitors, page views, sessions, bounces, lengths) and order."""
    q = _question("day", *window())
    want = oracle.figures(ROWS, "acme", q.from_ms, q.to_ms, oracle.by_dimension(dimension))
    expected = sorted(
        ((value, oracle.counted(f)) for value, f in want.items()),
        key=lambda item: (-item[1][1], -item[1][0], item[0]),
    )
    got = [(r.value, _got(r.counts)) for r in web_breakdown(stored, q, dimension, 100)]
    assert got == expected


def test_breakdowns_filter_by_each_other(stored: ClickHouse) -> None:
    """Top pages of sessions from google equal the recomputation under that filter, limited."""
    filters = {"utm_source": "google"}
    q = _question("day", *window(), filters=filters)
    want = oracle.figures(
        ROWS, "acme", q.from_ms, q.to_ms, oracle.by_dimension("page"), filters=filters
    )
    expected = sorted(
        ((value, oracle.counted(f)) for value, f in want.items()),
        key=lambda item: (-item[1][1], -item[1][0], item[0]),
    )
    got = [(r.value, _got(r.counts)) for r in web_breakdown(stored, q, "page", 2)]
    assert got == expected[:2]


def test_tenants_sharing_visitor_ids_never_mix(stored: ClickHouse) -> None:
    """globex's figures hold only its own two page views and visitors."""
    q = WebQuery("globex", *window(), "UTC", "day", grid(*window(), "day", "UTC", 10_000))
    assert _got(web_answer(stored, q).totals) == (2, 2, 2, 2, 0)
