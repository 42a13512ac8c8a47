"""Web sessions derived per visitor: the rules of METRICS.md §4 Web, late events, recalc."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.families.web.derived import WEB_SESSIONS
from pulse.sinks.clickhouse import ClickHouse
from tests.families import web_oracle as oracle
from tests.families.web_dataset import first_batch, second_batch
from tests.families.web_events import store_web

pytestmark = pytest.mark.clickhouse


def _entries(db: ClickHouse, tenant: str) -> list[dict[str, Any]]:
    return db.query(
        "SELECT visitor_id, toUnixTimestamp64Milli(session_start) AS start, page_views,"
        " length_ms FROM web_sessions FINAL WHERE tenant_id = {t:String} AND is_entry = 1"
        " ORDER BY visitor_id, start",
        {"t": tenant},
    )


def _expected(rows: list[dict[str, Any]], tenant: str) -> list[dict[str, Any]]:
    found = [
        {
            "visitor_id": s.entry["visitor_id"],
            "start": s.start_ms,
            "page_views": len(s.views),
            "length_ms": s.length_ms,
        }
        for s in oracle.sessions(rows, tenant)
    ]
    return sorted(found, key=lambda r: (r["visitor_id"], r["start"]))


def test_sessions_match_an_independent_recomputation(db: ClickHouse) -> None:
    """Every session (gaps, client ids, hour and DST edges, web.events only) is as recomputed."""
    rows = first_batch()
    store_web(db, rows)
    assert _entries(db, "acme") == _expected(rows, "acme")
    assert _entries(db, "globex") == _expected(rows, "globex")


def test_thirty_minutes_exactly_continues_and_one_millisecond_more_splits(db: ClickHouse) -> None:
    """The gap visitor has two sessions: 10:00 to 10:30 (two views) and 11:00:00.001 alone."""
    store_web(db, first_batch())
    gap = [r for r in _entries(db, "acme") if r["visitor_id"] == "gap"]
    assert [(r["page_views"], r["length_ms"]) for r in gap] == [(2, 1_800_000), (1, 0)]


def test_a_client_session_id_spans_a_fifty_minute_pause(db: ClickHouse) -> None:
    """Events sharing a session_id are one session; the visitor's event without one is apart."""
    store_web(db, first_batch())
    sid = [r for r in _entries(db, "acme") if r["visitor_id"] == "sid"]
    assert sorted((r["page_views"], r["length_ms"]) for r in sid) == [(1, 0), (2, 3_000_000)]


def test_dnt_events_belong_to_no_session(db: ClickHouse) -> None:
    """No row of web_sessions or web_visitor_events comes from a dnt event."""
    store_web(db, first_batch())
    for table in ("web_sessions", "web_visitor_events"):
        found = db.query(f"SELECT count() AS n FROM {table} WHERE visitor_id IN ('dnt-a', '')")
        assert found[0]["n"] == 0


def test_a_late_event_merging_two_sessions_leaves_one(db: ClickHouse) -> None:
    """After the joining event arrives in a second batch the visitor has one session, no stale
    entry row, and globex's visitor of the same id is untouched."""
    store_web(db, first_batch())
    late = [r for r in _entries(db, "acme") if r["visitor_id"] == "late"]
    assert len(late) == 2
    store_web(db, second_batch())
    late = [r for r in _entries(db, "acme") if r["visitor_id"] == "late"]
    assert [(r["page_views"], r["length_ms"]) for r in late] == [(3, 2_400_000)]
    rows = db.query(
        "SELECT count() AS n FROM web_sessions FINAL WHERE tenant_id = 'acme'"
        " AND visitor_id = 'late'"
    )
    assert rows[0]["n"] == 3
    everything = first_batch() + second_batch()
    assert _entries(db, "globex") == _expected(everything, "globex")


def test_a_replayed_batch_changes_nothing(db: ClickHouse) -> None:
    """Storing the same batch twice (a sink replay) gives the same sessions."""
    rows = first_batch()
    store_web(db, rows)
    store_web(db, rows)
    assert _entries(db, "acme") == _expected(rows, "acme")


def test_recalc_finds_every_visitor_and_no_difference(db: ClickHouse) -> None:
    """keys_in lists each tenant's visitors once and differences finds none after a refresh."""
    store_web(db, first_batch() + second_batch())
    keys = [k for chunk in WEB_SESSIONS.keys_in(db, "acme", None, None) for k in chunk]
    visitors = {r["visitor_id"] for r in first_batch() if r["tenant_id"] == "acme"}
    assert sorted(keys) == sorted(("acme", v) for v in visitors - {"dnt-a", ""})
    assert WEB_SESSIONS.differences(db, keys) == []
    db.execute(
        "ALTER TABLE web_sessions DELETE WHERE visitor_id = 'late' SETTINGS mutations_sync = 2"
    )
    found = WEB_SESSIONS.differences(db, keys)
    assert {d.column for d in found} == {"exists"} and len(found) == 3
    WEB_SESSIONS.refresh(db, keys)
    assert WEB_SESSIONS.differences(db, keys) == []
