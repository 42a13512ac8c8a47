"""What a refresh cannot repair after raw events are deleted, and ``forget`` does."""

from __future__ import annotations

import uuid

import pytest

from pulse.families.messaging.derived import MESSAGING_SLOTS
from pulse.sinks.clickhouse import ClickHouse
from tests.privacy.dataset import ev, store

pytestmark = pytest.mark.clickhouse

AT = 1_795_000_000_000


def campaigns(db: ClickHouse, tenant: str) -> dict[str, tuple[int, int]]:
    rows = db.query(
        "SELECT campaign_id, sent, version FROM messaging_slots FINAL WHERE tenant_id = {t:String}",
        {"t": tenant},
    )
    return {str(r["campaign_id"]): (int(r["sent"]), int(r["version"])) for r in rows}


def test_forget_zeroes_a_slot_row_whose_events_are_all_gone_and_refresh_does_not(
    db: ClickHouse,
) -> None:
    """Forget zeroes a slot row whose events are gone (refresh does not), and only once."""
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    rows = [
        ev(tenant, "message.sent", AT, campaign_id="gone", event_id=f"{tenant}-1"),
        ev(tenant, "message.sent", AT + 1, campaign_id="kept", event_id=f"{tenant}-2"),
    ]
    store(db, rows)
    keys = MESSAGING_SLOTS.touched({c: [r[c] for r in rows] for c in rows[0]})
    db.execute("DELETE FROM events_raw WHERE event_id = {e:String}", {"e": f"{tenant}-1"})

    MESSAGING_SLOTS.refresh(db, keys)
    assert {c: sent for c, (sent, _) in campaigns(db, tenant).items()} == {"gone": 1, "kept": 1}

    MESSAGING_SLOTS.forget(db, keys, [f"{tenant}-1"])
    after = campaigns(db, tenant)
    assert {c: sent for c, (sent, _) in after.items()} == {"gone": 0, "kept": 1}
    assert MESSAGING_SLOTS.differences(db, keys) == []

    MESSAGING_SLOTS.forget(db, keys, [])
    assert campaigns(db, tenant)["gone"] == after["gone"]
