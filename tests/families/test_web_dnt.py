"""dnt page views in the web slot rollups: rows of their own, recounted by their own derivation,
untouched by a visitor's refresh, verified against a recount."""

from __future__ import annotations

import pytest

from pulse.families.web.dnt_derived import WEB_DNT_VIEWS
from pulse.sinks.clickhouse import ClickHouse
from tests.families.web_events import COLUMNS, ms, store_web, view

pytestmark = pytest.mark.clickhouse

SLOT = "2026-03-02T10:00:00Z"


def _dnt_rows(db: ClickHouse) -> dict[tuple[int, str], int]:
    rows = db.query(
        "SELECT kind, url, page_views FROM web_slots FINAL WHERE tenant_id = 'acme'"
        " AND slot = toDateTime('2026-03-02 10:00:00', 'UTC') AND kind IN (2, 3)"
        " AND page_views > 0"
    )
    return {(int(r["kind"]), str(r["url"])): int(r["page_views"]) for r in rows}


def _hidden() -> list[dict[str, object]]:
    return [
        view("dnt-1", "2026-03-02T10:01:00Z", "/home", dnt=True),
        view("dnt-2", "2026-03-02T10:14:59Z", "/home", dnt=True),
        view("dnt-3", "2026-03-02T10:02:00Z", "/pricing", dnt=True),
    ]


def _keys(db: ClickHouse) -> list[tuple[str, int]]:
    return [k for chunk in WEB_DNT_VIEWS.keys_in(db, "acme", None, None) for k in chunk]


def test_touched_names_the_slots_of_dnt_page_views_only() -> None:
    """A dnt page view's slot is touched; visitors' events and other tenants' slots are not."""
    rows = [*_hidden(), view("v", "2026-03-02T11:00:00Z"), view("x", "2026-03-02T12:00:00Z")]
    rows[-1]["dnt"] = False
    raw = {c: [r[c] for r in rows] for c in COLUMNS}
    assert WEB_DNT_VIEWS.touched(raw) == {("acme", ms(SLOT))}


def test_a_batch_of_dnt_views_alone_is_counted_once_however_often_replayed(
    db: ClickHouse,
) -> None:
    """dnt views with no visitor in their slot land in its dnt rows once; a replay writes none."""
    hidden = _hidden()
    store_web(db, hidden)
    store_web(db, hidden)
    assert _dnt_rows(db) == {(2, ""): 3, (3, "/home"): 2, (3, "/pricing"): 1}
    assert WEB_DNT_VIEWS.refresh(db, _keys(db)) == 0


def test_a_visitors_refresh_leaves_the_dnt_rows_alone(db: ClickHouse) -> None:
    """A visitor event in the same slot, its raw dnt events gone meanwhile (expired), rewrites
    the slot's visitor rows and keeps its dnt rows as counted."""
    store_web(db, _hidden())
    db.execute("DELETE FROM events_raw WHERE ifNull(dnt, false)")
    store_web(db, [view("v1", "2026-03-02T10:07:00Z", "/home")])
    assert _dnt_rows(db) == {(2, ""): 3, (3, "/home"): 2, (3, "/pricing"): 1}
    visitors = db.query(
        "SELECT page_views FROM web_slots FINAL WHERE tenant_id = 'acme' AND kind = 0"
        " AND slot = toDateTime('2026-03-02 10:00:00', 'UTC')"
    )
    assert [r["page_views"] for r in visitors] == [1]


def test_differences_find_a_wrong_count_and_a_refresh_repairs_it(db: ClickHouse) -> None:
    """keys_in lists the slot; a tampered count is a difference until a refresh recounts it."""
    store_web(db, _hidden())
    keys = _keys(db)
    assert keys == [("acme", ms(SLOT))]
    assert WEB_DNT_VIEWS.differences(db, keys) == []
    db.execute(
        "INSERT INTO web_slots (tenant_id, slot, kind, url, page_views, version)"
        " VALUES ('acme', toDateTime('2026-03-02 10:00:00', 'UTC'), 3, '/home', 7,"
        " toUInt64(toUnixTimestamp64Micro(now64(6))))"
    )
    found = WEB_DNT_VIEWS.differences(db, keys)
    assert [(d.key, d.column, d.stored, d.recomputed) for d in found] == [
        (("acme", ms(SLOT), 3, "/home"), "page_views", 7, 2)
    ]
    assert WEB_DNT_VIEWS.refresh(db, keys) == 1
    assert WEB_DNT_VIEWS.differences(db, keys) == []


def test_a_url_whose_dnt_views_are_all_gone_goes_back_to_zero(db: ClickHouse) -> None:
    """Erased dnt views (raw rows deleted) are recounted away: the URL's row is written as 0."""
    store_web(db, _hidden())
    db.execute("DELETE FROM events_raw WHERE url = '/pricing'")
    assert WEB_DNT_VIEWS.refresh(db, _keys(db)) == 2
    assert _dnt_rows(db) == {(2, ""): 2, (3, "/home"): 2}
