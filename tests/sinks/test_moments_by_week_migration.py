"""m0021 partitions ``helpdesk_moments`` by week without changing a stored moment; rolling
back, or finishing a half-applied run, keeps them too."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.migrations import m0021_helpdesk_moments_by_week as m0021
from pulse.sinks.migrator import Migrator
from tests.families.events import created, event, reply, store

pytestmark = pytest.mark.clickhouse

WEEK_MS = 7 * 86_400_000
START_MS = 1_700_000_000_000  # 2023-11-14
WEEKS = 110  # more than one insert may write by default (100 partitions)

_MOMENTS = (
    "SELECT kind, t, event_id, conversation_id, value, agent, known_creation, reply_ms,"
    " first_resolution_ms FROM helpdesk_moments FINAL ORDER BY kind, t, event_id"
)
_LAYOUT = (
    "SELECT partition_key FROM system.tables WHERE database = {db:String}"
    " AND name = 'helpdesk_moments'"
)


def conversations() -> list[dict[str, Any]]:
    """A conversation a week for :data:`WEEKS` weeks, each answered and resolved."""
    rows: list[dict[str, Any]] = []
    for week in range(WEEKS):
        at = START_MS + week * WEEK_MS
        rows += [
            created(f"c{week}", at, priority="high"),
            reply(f"c{week}", at + 60_000, agent_id="a1"),
            event("conversation.resolved", f"c{week}", at + 3_600_000),
        ]
    return rows


def layout(db: ClickHouse, settings: Settings) -> str:
    return str(db.query(_LAYOUT, {"db": settings.clickhouse.database})[0]["partition_key"])


def test_partitioning_by_week_keeps_every_moment_both_ways(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    """The latest version of every moment is the same after m0021, after a refresh spanning
    110 weeks in one insert, and after rolling back."""
    migrator = Migrator(clickhouse, settings.clickhouse.database)
    migrator.up(20)
    rows = conversations()
    store(clickhouse, rows)
    store(clickhouse, rows[:3])  # a second version of one conversation's moments
    before = clickhouse.query(_MOMENTS)
    assert len(before) == 2 * WEEKS

    migrator.up()
    assert layout(clickhouse, settings) == "toMonday(t)"
    assert clickhouse.query(_MOMENTS) == before
    store(clickhouse, rows)
    assert clickhouse.query(_MOMENTS) == before

    migrator.down(20)
    assert layout(clickhouse, settings) == ""
    assert clickhouse.query(_MOMENTS) == before


def test_a_half_applied_rebuild_finishes_when_run_again(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    """Stopped after the rename, m0021 run again leaves the moments whole and partitioned."""
    db = settings.clickhouse.database
    migrator = Migrator(clickhouse, db)
    migrator.up(20)
    store(clickhouse, conversations())
    before = clickhouse.query(_MOMENTS)
    for sql in m0021.FORWARDS[:-1]:
        clickhouse.execute(sql.format(db=db))

    migrator.up()
    assert layout(clickhouse, settings) == "toMonday(t)"
    assert clickhouse.query(_MOMENTS) == before
    left = clickhouse.query(
        "SELECT name FROM system.tables WHERE database = {db:String}"
        " AND name LIKE 'helpdesk_moments_%'",
        {"db": db},
    )
    assert left == []
