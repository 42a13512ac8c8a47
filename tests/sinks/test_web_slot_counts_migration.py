"""m0018 carries the dnt page views of ``web_dnt_slots`` into ``web_slots``' counts, also those
whose raw events are gone, and rolls back to states of the same counts."""

from __future__ import annotations

import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.migrator import Migrator
from tests.families.web_events import COLUMNS, view

pytestmark = pytest.mark.clickhouse

_SLOT_ROWS = (
    "SELECT kind, url, dnt_views FROM web_slots FINAL WHERE dnt_views > 0 ORDER BY kind, url"
)
_STATES = (
    "SELECT url, uniqExactMerge(views) AS n FROM web_dnt_slots"
    " WHERE slot = toDateTime('2026-03-02 10:00:00', 'UTC') GROUP BY url ORDER BY url"
)


def test_dnt_counts_come_from_the_states_and_go_back_to_them(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    """Counts after m0018 equal the states before it, raw events deleted or not; down restores
    states of the same counts."""
    migrator = Migrator(clickhouse, settings.clickhouse.database)
    migrator.up(17)
    rows = [
        view("a", "2026-03-02T10:01:00Z", "/home", dnt=True),
        view("b", "2026-03-02T10:02:00Z", "/home", dnt=True),
        view("c", "2026-03-02T10:03:00Z", "/docs", dnt=True),
    ]
    clickhouse.insert("events_raw", rows, COLUMNS)
    clickhouse.insert("events_raw", rows, COLUMNS)  # a replay: the states count each once
    clickhouse.execute("DELETE FROM events_raw WHERE url = '/docs'")  # expired meanwhile
    migrator.up()
    found = [(r["kind"], r["url"], r["dnt_views"]) for r in clickhouse.query(_SLOT_ROWS)]
    assert found == [(0, "", 3), (1, "/docs", 1), (1, "/home", 2)]
    migrator.down(17)
    assert [(r["url"], r["n"]) for r in clickhouse.query(_STATES)] == [("/docs", 1), ("/home", 2)]
