"""The messaging derivation: slot rows recomputed from raw events, absolute and repeatable."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.families.derivation import Difference
from pulse.families.messaging.derived import MESSAGING_SLOTS
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.families.events import COLUMNS, event, insert_raw, ms

pytestmark = pytest.mark.clickhouse

SLOT = 15 * 60_000
T = ms("2026-03-01T10:07:00+00:00")
SLOT_T = ms("2026-03-01T10:00:00+00:00")


def message(kind: str, at: int, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    return event(f"message.{kind}", "", at, tenant, **fields)


def columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {c: [r[c] for r in rows] for c in COLUMNS}


def slots(db: ClickHouse, tenant: str = "acme") -> dict[tuple[int, str], tuple[int, int]]:
    """(slot ms, channel) → (sent, delivered) as stored, latest version."""
    rows = db.query(
        "SELECT toInt64(toUnixTimestamp(slot)) * 1000 AS s, toString(channel) AS c,"
        " toInt64(sum(sent)) AS sent, toInt64(sum(delivered)) AS delivered"
        " FROM messaging_slots FINAL WHERE tenant_id = {t:String} GROUP BY s, c",
        {"t": tenant},
    )
    return {(r["s"], r["c"]): (r["sent"], r["delivered"]) for r in rows}


def stored_and_refreshed(db: ClickHouse, rows: list[dict[str, Any]]) -> int:
    insert_raw(db, rows)
    return MESSAGING_SLOTS.refresh(db, MESSAGING_SLOTS.touched(columns(rows)))


def test_touched_keys_are_the_slots_of_message_events() -> None:
    """Each message event names its tenant's 15-minute UTC slot; other events name none."""
    rows = [
        message("sent", T),
        message("read", T + SLOT, tenant="globex"),
        event("conversation.created", "c1", T + 2 * SLOT),
        message("sent", -1),  # a millisecond before the epoch: the slot before it
    ]
    assert MESSAGING_SLOTS.touched(columns(rows)) == {
        ("acme", SLOT_T),
        ("globex", SLOT_T + SLOT),
        ("acme", -SLOT),
    }


def test_a_refresh_writes_absolute_counts_and_repeating_it_changes_nothing(
    db: ClickHouse,
) -> None:
    """Counts are of every stored event of the slot; a second refresh (a replayed batch) and a
    copy of a raw row stored twice leave them as they are."""
    rows = [message("sent", T), message("sent", T + 1), message("delivered", T + 2)]
    assert stored_and_refreshed(db, rows) == 1
    insert_raw(db, rows[:1])
    MESSAGING_SLOTS.refresh(db, {("acme", SLOT_T)})
    assert slots(db) == {(SLOT_T, "whatsapp"): (2, 1)}


def test_a_later_event_in_a_slot_recounts_it_whole(db: ClickHouse) -> None:
    """A batch touching a slot again refreshes it from all its events, whatever batch they
    came in; other slots and tenants are left alone."""
    stored_and_refreshed(db, [message("sent", T), message("sent", T + SLOT, tenant="globex")])
    stored_and_refreshed(db, [message("sent", T + 5, channel="sms"), message("sent", T + 6)])
    assert slots(db) == {(SLOT_T, "whatsapp"): (2, 0), (SLOT_T, "sms"): (1, 0)}
    assert slots(db, "globex") == {(SLOT_T + SLOT, "whatsapp"): (1, 0)}


def test_dimensions_are_kept_apart(db: ClickHouse) -> None:
    """One row per channel, org unit, campaign, template, workflow and sequence of a slot."""
    written = stored_and_refreshed(
        db,
        [
            message("sent", T, org_unit="sales"),
            message("sent", T, org_unit="support"),
            message("sent", T, org_unit="support"),
        ],
    )
    assert written == 2


def test_keys_in_lists_the_slots_of_a_range_in_chunks(db: ClickHouse) -> None:
    """keys_in gives every (tenant, slot) with message events in [from, to), of one tenant or
    all, without the slots of other event types."""
    insert_raw(
        db,
        [
            message("sent", T),
            message("sent", T + SLOT, tenant="globex"),
            message("read", T + 4 * SLOT),
            event("conversation.created", "c1", T + 8 * SLOT),
        ],
    )
    assert [k for chunk in MESSAGING_SLOTS.keys_in(db, None, None, None) for k in chunk] == [
        ("acme", SLOT_T),
        ("acme", SLOT_T + 4 * SLOT),
        ("globex", SLOT_T + SLOT),
    ]
    assert list(MESSAGING_SLOTS.keys_in(db, "acme", T + SLOT, None)) == [
        [("acme", SLOT_T + 4 * SLOT)]
    ]


def test_differences_name_what_a_refresh_would_change(db: ClickHouse) -> None:
    """Raw events stored without a refresh show as differences; after the refresh there are none."""
    stored_and_refreshed(db, [message("sent", T)])
    insert_raw(db, [message("sent", T + 1), message("delivered", T + 2, channel="sms")])
    keys = {("acme", SLOT_T)}
    assert MESSAGING_SLOTS.differences(db, keys) == [
        Difference(
            "messaging_slots", ("acme", SLOT_T, "sms", "", "", "", "", ""), "delivered", 0, 1
        ),
        Difference(
            "messaging_slots", ("acme", SLOT_T, "whatsapp", "", "", "", "", ""), "sent", 1, 2
        ),
    ]
    MESSAGING_SLOTS.refresh(db, keys)
    assert MESSAGING_SLOTS.differences(db, keys) == []


def test_the_migration_backfills_events_stored_before_it(settings: Settings) -> None:
    """Raw events stored before m0008 are in messaging_slots once it is applied."""
    client = connect(settings.clickhouse)
    try:
        migrator = Migrator(client, settings.clickhouse.database)
        migrator.up(7)
        insert_raw(client, [message("sent", T), message("sent", T + SLOT), message("delivered", T)])
        migrator.up()
        assert slots(client) == {(SLOT_T, "whatsapp"): (1, 1), (SLOT_T + SLOT, "whatsapp"): (1, 0)}
    finally:
        client.close()


def test_scattered_slots_are_all_refreshed_and_only_they(db: ClickHouse) -> None:
    """A batch touching 40 slots a day apart (more than one statement's ranges) refreshes each
    of them, and a slot between them that the batch did not touch stays as it was."""
    day = 96 * SLOT
    between = message("sent", T + day // 2)
    insert_raw(db, [between])  # stored without a refresh: its slot must stay unrefreshed
    stored_and_refreshed(db, [message("sent", T + n * day) for n in range(40)])
    refreshed = slots(db)
    assert refreshed == {(SLOT_T + n * day, "whatsapp"): (1, 0) for n in range(40)}


def test_one_refresh_of_many_tenants_writes_each_only_its_own_slots(db: ClickHouse) -> None:
    """Eighteen tenants (more than one statement takes) refreshed at once, each asking for its
    own slot and for the next tenant's: every tenant gets exactly its own slot's count."""
    tenants = [f"t{i:02}" for i in range(18)]
    rows = [message("sent", T + i * SLOT, tenant=t) for i, t in enumerate(tenants)]
    insert_raw(db, rows)
    keys = {(t, SLOT_T + i * SLOT) for i, t in enumerate(tenants)}
    keys |= {(t, SLOT_T + (i + 1) * SLOT) for i, t in enumerate(tenants)}
    assert MESSAGING_SLOTS.refresh(db, keys) == 18
    for i, tenant in enumerate(tenants):
        assert slots(db, tenant) == {(SLOT_T + i * SLOT, "whatsapp"): (1, 0)}
    assert MESSAGING_SLOTS.differences(db, keys) == []
