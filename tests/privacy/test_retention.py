"""``pulse retention apply``: per tenant and per kind, only rows strictly older than the window
go; a row exactly at the cutoff stays."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from pulse.families.helpdesk.moments_sql import CSAT
from pulse.privacy.audit import entries
from pulse.privacy.retention import apply
from pulse.privacy.scheduler import RetentionJob
from pulse.privacy.windows import RetentionPolicy, Window
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.errors import TenantSettingsError
from pulse.topics.tenants import TenantSettings
from tests.privacy.dataset import MINUTE, Row, ev, store

pytestmark = pytest.mark.clickhouse

DAY = 24 * 60 * MINUTE
# On a quarter hour, so that a day window's cutoff is a slot's start.
NOW = 1_795_000_000_000 - 1_795_000_000_000 % (15 * MINUTE)
DEFAULTS = {
    "raw": Window(90, "d"),
    "aggregates": Window(400, "d"),
    "csat": Window(200, "d"),
    "dead_letters": Window(30, "d"),
}


def cutoff(days: int) -> int:
    return NOW - days * DAY


def boundary(tenant: str, kind: str, days: int, **fields: Any) -> list[Row]:
    """An event of ``kind`` exactly at the cutoff of a ``days`` window and one a millisecond
    older; the event id says which."""
    return [
        ev(tenant, kind, cutoff(days), event_id=f"{tenant}-{kind}-{days}-at", **fields),
        ev(tenant, kind, cutoff(days) - 1, event_id=f"{tenant}-{kind}-{days}-older", **fields),
    ]


def ids(db: ClickHouse, sql: str) -> set[str]:
    return {str(r["id"]) for r in db.query(sql)}


def dead_letter(db: ClickHouse, tenant: str, failed_at: int, offset: int) -> None:
    db.insert(
        "dead_letters",
        [
            {
                "source_topic": "pulse.events",
                "source_partition": 0,
                "source_offset": offset,
                "tenant_id": tenant,
                "code": "bad",
                "field": "",
                "reason": "",
                "payload_b64": "",
                "failed_at": failed_at,
            }
        ],
        [
            "source_topic",
            "source_partition",
            "source_offset",
            "tenant_id",
            "code",
            "field",
            "reason",
            "payload_b64",
            "failed_at",
        ],
    )


def test_each_kind_keeps_its_window_per_tenant_to_the_millisecond(db: ClickHouse) -> None:
    """Each kind keeps rows at its tenant's cutoff and deletes those a millisecond older."""
    run = uuid.uuid4().hex[:6]
    plain, own = f"plain-{run}", f"own-{run}"
    policy = RetentionPolicy(
        DEFAULTS,
        {own: {"raw": Window(10, "d"), "csat": Window(20, "d"), "aggregates": Window(50, "d")}},
    )
    rows: list[Row] = []
    for tenant, raw, csat, aggregates in ((plain, 90, 200, 400), (own, 10, 20, 50)):
        rows += boundary(tenant, "automation.executed", raw)
        rows += boundary(tenant, "csat.submitted", csat, conversation_id="c", score=5)
        rows += boundary(tenant, "message.sent", aggregates, campaign_id=f"agg-{tenant}")
        rows += boundary(tenant, "conversation.created", aggregates, conversation_id=f"m-{tenant}")
    # Older than the other tenant's raw window only: stays.
    rows += boundary(plain, "automation.executed", 10)
    store(db, rows)
    for offset, (tenant, at) in enumerate(
        [(plain, cutoff(30)), (plain, cutoff(30) - 1), (own, cutoff(30)), (own, cutoff(30) - 1)]
    ):
        dead_letter(db, tenant, at, offset)

    dry = apply(db, policy, NOW, True, "test")
    assert sum(dry.rows.values()) > 0
    assert len(ids(db, "SELECT event_id AS id FROM events_raw")) == len(rows)

    report = apply(db, policy, NOW, False, "test")
    assert report.rows == dry.rows

    raw_left = ids(db, "SELECT event_id AS id FROM events_raw FINAL")
    assert raw_left == {
        f"{plain}-automation.executed-90-at",
        f"{plain}-automation.executed-10-at",
        f"{plain}-automation.executed-10-older",
        f"{own}-automation.executed-10-at",
        f"{plain}-csat.submitted-200-at",
        f"{own}-csat.submitted-20-at",
    }
    slots = db.query(
        "SELECT campaign_id, toInt64(toUnixTimestamp(slot)) * 1000 AS at FROM messaging_slots FINAL"
        " WHERE sent > 0 ORDER BY campaign_id"
    )
    assert slots == [
        {"campaign_id": f"agg-{own}", "at": cutoff(50)},
        {"campaign_id": f"agg-{plain}", "at": cutoff(400)},
    ]
    moments = db.query("SELECT event_id AS id, kind FROM helpdesk_moments FINAL ORDER BY event_id")
    assert {(m["id"], m["kind"] == CSAT) for m in moments} == {
        (f"{own}-conversation.created-50-at", False),
        (f"{plain}-conversation.created-400-at", False),
        (f"{own}-csat.submitted-20-at", True),
        (f"{plain}-csat.submitted-200-at", True),
    }
    letters = db.query(
        "SELECT tenant_id, toInt64(toUnixTimestamp64Milli(failed_at)) AS at FROM dead_letters"
        " ORDER BY tenant_id"
    )
    assert letters == [{"tenant_id": own, "at": cutoff(30)}, {"tenant_id": plain, "at": cutoff(30)}]
    [audited] = entries(db, None, 10)
    assert audited.action == "retention" and audited.rows == sum(report.rows.values())


def test_conversation_facts_expire_with_their_creation(db: ClickHouse) -> None:
    """A conversation's facts expire whole with its creation; one created at the cutoff stays."""
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    store(
        db,
        [
            ev(tenant, "conversation.created", cutoff(400), conversation_id="kept"),
            ev(tenant, "conversation.created", cutoff(400) - 1, conversation_id="gone"),
            ev(tenant, "conversation.resolved", cutoff(300), conversation_id="gone"),
        ],
    )
    apply(db, RetentionPolicy(DEFAULTS), NOW, False, "test")
    left = ids(db, "SELECT conversation_id AS id FROM helpdesk_conversations FINAL")
    assert left == {"kept"}


def test_deleting_helpdesk_rows_makes_every_kept_answer_of_the_tenants_stale(
    db: ClickHouse,
) -> None:
    """Retention deletes moments without a refresh: it writes the every-day change (which every
    kept helpdesk answer rests on) of each tenant it deleted rows of; a dry run writes none."""
    tenant, untouched = f"t-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    store(
        db,
        [
            ev(tenant, "conversation.created", cutoff(400) - 1, conversation_id="gone"),
            ev(untouched, "conversation.created", cutoff(400) + 1, conversation_id="kept"),
        ],
    )

    def every_day_marks(of: str) -> int:
        rows = db.query(
            "SELECT count() AS n FROM helpdesk_changes"
            " WHERE tenant_id = {t:String} AND day = toDate('1970-01-01')",
            {"t": of},
        )
        return int(rows[0]["n"])

    apply(db, RetentionPolicy(DEFAULTS), NOW, True, "test")
    assert every_day_marks(tenant) == 0
    apply(db, RetentionPolicy(DEFAULTS), NOW, False, "test")
    assert (every_day_marks(tenant), every_day_marks(untouched)) == (1, 0)


def test_serve_s_job_applies_the_policy_every_interval(db: ClickHouse) -> None:
    """The scheduled job deletes expired rows on its own, and stops when asked."""
    tenant = f"t-{uuid.uuid4().hex[:6]}"
    now = time.time() * 1000
    store(db, [ev(tenant, "automation.executed", int(now) - 100 * DAY, event_id="old")])
    job = RetentionJob(db, lambda: RetentionPolicy(DEFAULTS), 0.05)
    job.start()
    deadline = time.monotonic() + 30
    while job.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    job.stop()
    assert job.runs >= 1
    assert ids(db, "SELECT event_id AS id FROM events_raw") == set()


def test_tenant_retention_settings_round_trip_and_refuse_bad_windows() -> None:
    """A tenant's own windows travel through the tenants topic's JSON; a bad one is refused."""
    mine = TenantSettings(retention={"raw": "30d", "csat": "12M"})
    assert TenantSettings.from_json(mine.to_json()) == mine
    assert mine.retention_windows() == {"raw": Window(30, "d"), "csat": Window(12, "M")}
    assert b"retention" not in TenantSettings().to_json()
    with pytest.raises(TenantSettingsError):
        TenantSettings(retention={"raw": "soon"})
