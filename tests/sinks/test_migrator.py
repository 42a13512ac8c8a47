"""Migrations move the schema up and down, and record where it stands."""

from __future__ import annotations

import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.migrator import Migrator, discover

pytestmark = pytest.mark.clickhouse

TABLES = {"events_raw", "dead_letters", "sink_offsets"}
TABLES |= {"messaging_slots"}  # the messaging family's slot rollups
# The helpdesk family's facts and the materialized view that feeds them from events_raw.
TABLES |= {"helpdesk_conversations", "helpdesk_conversations_mv"}
# The helpdesk moments the sink refreshes from those facts (m0007).
TABLES |= {"helpdesk_moments"}
# Tables of migrations after m0009: the outreach family's per-day counts (m0010), the web
# family's visitor-ordered copy of its events, the view feeding it, and its sessions (m0011).
AFTER_9 = {"outreach_days", "web_visitor_events", "web_visitor_events_mv", "web_sessions"}
AFTER_9 |= {"alert_deliveries"}  # every alert delivery attempt (m0012)
AFTER_9 |= {"privacy_requests"}  # the privacy audit log (m0013)
AFTER_9 |= {"alert_events", "alert_states"}  # the alert evaluator (m0014)
AFTER_9 |= {"audit_log"}  # the API's audit log (m0015)
AFTER_9 |= {"web_slots"}  # web slot rollups (m0016; m0018 folded web_dnt_slots into them)
# The views of daily figures Grafana and Metabase read (m0017).
AFTER_9 |= {"messaging_daily", "campaign_daily", "helpdesk_daily", "web_daily"}
AFTER_9 |= {"web_visitor_sessions", "web_visitor_sessions_mv", "web_visitor_sessions_rolled"}
AFTER_9 |= {"helpdesk_backlog_days"}  # the helpdesk backlog's change per UTC day (m0019)
AFTER_9 |= {"helpdesk_changes"}  # the UTC days whose helpdesk figures changed (m0020)
# The longest wait for a first reply per tenant, and the view that keeps it (m0022).
AFTER_9 |= {"helpdesk_longest_waits", "helpdesk_longest_waits_mv"}
TABLES |= AFTER_9
# The worker's old aggregates: m0002 made them, m0009 dropped them.
RETIRED = {"messaging_counters", "conversation_frt"}


def tables(client: ClickHouse, database: str) -> set[str]:
    rows = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", {"db": database}
    )
    return {r["name"] for r in rows} - {"schema_migrations"}


def test_versions_are_numbered_without_gaps() -> None:
    """Migration modules are numbered 1, 2, 3… and each has forwards and backwards SQL."""
    found = discover()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert all(m.forwards and m.backwards for m in found)


def test_up_down_up_round_trip(clickhouse: ClickHouse, settings: Settings) -> None:
    """Up creates every table, down 0 drops them all, up again restores them."""
    db = settings.clickhouse.database
    migrator = Migrator(clickhouse, db)
    every = [m.version for m in discover()]
    assert migrator.up() == every
    assert tables(clickhouse, db) == TABLES
    assert all(s.applied for s in migrator.status())
    assert migrator.down(0) == every[::-1]
    assert tables(clickhouse, db) == set()
    assert not any(s.applied for s in migrator.status())
    assert migrator.up() == every
    assert tables(clickhouse, db) == TABLES


def test_up_is_idempotent_and_honours_a_target(clickhouse: ClickHouse, settings: Settings) -> None:
    """Up to 1 applies only the first migration; a second up applies the rest once."""
    migrator = Migrator(clickhouse, settings.clickhouse.database)
    assert migrator.up(1) == [1]
    assert tables(clickhouse, settings.clickhouse.database) == {"events_raw"}
    assert migrator.up()[0] == 2
    assert migrator.up() == []


def test_down_keeps_the_target_version(clickhouse: ClickHouse, settings: Settings) -> None:
    """Down 2 rolls back only the migrations above version 2."""
    migrator = Migrator(clickhouse, settings.clickhouse.database)
    migrator.up()
    migrator.down(2)
    state = {s.version: s.applied for s in migrator.status()}
    assert state[1] and state[2] and not state[3] and not state[4]
    assert tables(clickhouse, settings.clickhouse.database) == {
        "events_raw",
        "messaging_counters",
        "conversation_frt",
    }


def test_the_worker_aggregates_are_gone_and_come_back_below_9(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    """Up drops messaging_counters and conversation_frt; down 8 recreates them with the columns
    m0002 gave them; up drops them again."""
    db = settings.clickhouse.database
    migrator = Migrator(clickhouse, db)
    columns = (
        "SELECT table, name, type FROM system.columns WHERE database = {db:String}"
        " AND table IN ('messaging_counters', 'conversation_frt') ORDER BY table, position"
    )
    migrator.up(8)
    made = clickhouse.query(columns, {"db": db})
    assert {r["table"] for r in made} == RETIRED
    assert migrator.up(9) == [9]
    assert tables(clickhouse, db) == TABLES - AFTER_9
    assert migrator.down(8) == [9]
    assert tables(clickhouse, db) == (TABLES - AFTER_9) | RETIRED
    assert clickhouse.query(columns, {"db": db}) == made
    assert migrator.up(9) == [9]
    assert tables(clickhouse, db) == TABLES - AFTER_9


def test_a_fresh_migrator_reads_the_recorded_state(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    """What one Migrator applied, another one (a later process) sees as applied."""
    Migrator(clickhouse, settings.clickhouse.database).up()
    assert Migrator(clickhouse, settings.clickhouse.database).up() == []
