"""m0018 builds the web slot rows in their new shape from what a database at m0017 holds: dnt
page views from ``web_dnt_slots``' states (also those whose raw events are gone), visitors by
distinct gap; rolling back restores states of the same counts and a gap per visitor."""

from __future__ import annotations

import pytest

from pulse.families.web.sessions_sql import SOME, refresh_sql
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.migrator import Migrator
from tests.families.test_web_slots import _check
from tests.families.web_dataset import first_batch
from tests.families.web_events import COLUMNS, view

pytestmark = pytest.mark.clickhouse

_DNT_ROWS = (
    "SELECT kind, url, page_views FROM web_slots FINAL WHERE kind IN (2, 3)"
    " AND slot = toDateTime('2026-03-02 10:00:00', 'UTC') ORDER BY kind, url"
)
_STATES = (
    "SELECT url, uniqExactMerge(views) AS n FROM web_dnt_slots"
    " WHERE slot = toDateTime('2026-03-02 10:00:00', 'UTC') GROUP BY url ORDER BY url"
)
_GAPS = "SELECT sum(length(gaps)) AS n FROM web_slots FINAL WHERE kind IN (0, 1)"


def test_a_database_at_m0017_answers_the_same_after_m0018_and_back(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    """Figures equal the recomputation after m0018; dnt counts are the states' (raw rows gone
    or not); down restores the states and one gap per visitor row entry."""
    migrator = Migrator(clickhouse, settings.clickhouse.database)
    migrator.up(17)
    rows = first_batch()
    expired = view("e", "2026-03-02T10:03:00Z", "/docs", dnt=True)
    clickhouse.insert("events_raw", [*rows, expired], COLUMNS)
    clickhouse.insert("events_raw", rows, COLUMNS)  # a replay: the states count each once
    visitors = sorted({str(r["visitor_id"]) for r in rows if not r["dnt"] and r["visitor_id"]})
    clickhouse.execute(refresh_sql(SOME), {"tenant_id": "acme", "ids": visitors})
    clickhouse.execute(
        "DELETE FROM events_raw WHERE event_id = {e:String}", {"e": expired["event_id"]}
    )
    migrator.up()
    _check(clickhouse, [*rows, expired], "Europe/Lisbon", "day")
    dnt = [(r["kind"], r["url"], r["page_views"]) for r in clickhouse.query(_DNT_ROWS)]
    assert dnt == [(2, "", 3), (3, "/docs", 1), (3, "/home", 1), (3, "/pricing", 1)]
    entries = clickhouse.query(
        "SELECT sum(arraySum(gap_visitors)) AS n FROM web_slots FINAL WHERE kind IN (0, 1)"
    )[0]["n"]
    migrator.down(17)
    assert [(r["url"], r["n"]) for r in clickhouse.query(_STATES)] == [
        ("/docs", 1),
        ("/home", 1),
        ("/pricing", 1),
    ]
    assert clickhouse.query(_GAPS)[0]["n"] == entries
