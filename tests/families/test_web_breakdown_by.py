"""Web breakdowns by one or two dimensions against the independent recomputation: every group,
the rest and the total, visitors distinct in each."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.families.breakdowns.spec import BreakdownRequest
from pulse.families.web.breakdown_by import counts, web_breakdown_by
from pulse.families.web.model import WebQuery
from pulse.sinks.clickhouse import ClickHouse
from tests.families import web_oracle as oracle
from tests.families.web_dataset import ZONE, first_batch, second_batch, window
from tests.families.web_events import store_web

pytestmark = pytest.mark.clickhouse

ROWS = first_batch() + second_batch()
PAIRS = [("page", "country"), ("device", "utm_source"), ("entry_page", "browser"), ("os",)]


@pytest.fixture
def stored(db: ClickHouse) -> ClickHouse:
    store_web(db, first_batch())
    store_web(db, second_batch())
    return db


def _key(by: tuple[str, ...]) -> Any:
    keys = [oracle.by_dimension(d) for d in by]

    def key(kind: str, e: dict[str, Any], s: Any) -> tuple[str, ...] | None:
        found = tuple(k(kind, e, s) for k in keys)
        return None if None in found else found

    return key


def _question(**kw: Any) -> WebQuery:
    from_ms, to_ms = window()
    return WebQuery("acme", from_ms, to_ms, ZONE, **kw)


def _got(c: Any) -> tuple[int, int, int, int, int]:
    return (c.page_views, c.visitors, c.sessions, c.bounces, c.length_ms)


@pytest.mark.parametrize("by", PAIRS)
def test_every_group_matches_the_recomputation(stored: ClickHouse, by: tuple[str, ...]) -> None:
    """All groups listed: each group's figures are the recomputation's."""
    q = _question()
    want = oracle.figures(ROWS, "acme", q.from_ms, q.to_ms, _key(by))
    answer = web_breakdown_by(stored, q, BreakdownRequest(by, "visitors", limit=1000))
    got = {tuple(v for _, v in g.keys): _got(counts(g)) for g in answer.rows}
    assert got == {k: oracle.counted(f) for k, f in want.items()}
    assert answer.other is None


def test_other_and_total_are_distinct_over_their_events(stored: ClickHouse) -> None:
    """Top 3 by page views: the rest's visitors are distinct over its events, and the total is
    the whole range's, which page views, sessions, bounces and lengths add up to."""
    by = ("page", "country")
    q = _question()
    want = oracle.figures(ROWS, "acme", q.from_ms, q.to_ms, _key(by))
    order = sorted(want, key=lambda k: (-want[k].page_views, k))
    answer = web_breakdown_by(stored, q, BreakdownRequest(by, "page_views", limit=3))
    assert [tuple(v for _, v in g.keys) for g in answer.rows] == order[:3]
    rest = [want[k] for k in order[3:]]
    assert answer.other is not None
    other = _got(counts(answer.other))
    assert other[1] == len(set().union(*(f.visitors for f in rest)))
    assert other[0] == sum(f.page_views for f in rest)
    total = _got(counts(answer.total))
    visitors = oracle.figures(ROWS, "acme", q.from_ms, q.to_ms, _key(("page",)))
    assert total[1] == len(set().union(*(f.visitors for f in visitors.values())))
    for at in (0, 2, 3, 4):
        assert sum(_got(counts(g))[at] for g in answer.rows) + other[at] == total[at]
    assert total[1] < sum(_got(counts(g))[1] for g in answer.rows) + other[1]


def test_filters_apply_to_every_row_kind(stored: ClickHouse) -> None:
    """Under a device filter, groups are those of the filtered recomputation."""
    by = ("entry_page", "country")
    q = _question(filters={"device": "desktop"})
    want = oracle.figures(ROWS, "acme", q.from_ms, q.to_ms, _key(by), filters={"device": "desktop"})
    answer = web_breakdown_by(stored, q, BreakdownRequest(by, "sessions", limit=1000))
    got = {tuple(v for _, v in g.keys): _got(counts(g)) for g in answer.rows}
    assert got == {k: oracle.counted(f) for k, f in want.items()}
