"""The evaluator in-process: chdb with raw events, a fake clock, the real notifications topic."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from pulse.alerts.episode_store import EpisodeStore, Versions
from pulse.alerts.errors import AlertPublishError
from pulse.alerts.evaluator import Evaluator
from pulse.alerts.notifications import Notification, publish_notification
from pulse.alerts.rules import AlertRule, Condition, RuleFilter
from pulse.faults import FaultPoints
from pulse.settings import FaultSettings, Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.compacted import acknowledged_producer
from tests.alerts.conftest import apply_topics
from tests.families.events import db, event, insert_raw
from tests.sinks.kafka_util import read_topic

__all__ = ["db"]

pytestmark = [pytest.mark.clickhouse, pytest.mark.kafka]

MIN = 60_000
T0 = 1_800_000_000_000


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


def expected_id(rule: AlertRule, episode_start: int, kind: str) -> str:
    """The webhook id recomputed from its definition: tenant, rule, episode start, kind."""
    seed = "\x00".join((rule.tenant_id, rule.rule_id, str(episode_start), kind)).encode()
    return "msg_" + hashlib.sha256(seed).hexdigest()[:32]


def evaluator(
    settings: Settings, db: ClickHouse, clock: Clock, publish: Callable[[Notification], None]
) -> Evaluator:
    return Evaluator(db, EpisodeStore(db, Versions()), publish, FaultPoints(FaultSettings()), clock)


def kafka_publisher(settings: Settings) -> Callable[[Notification], None]:
    producer = acknowledged_producer(settings.kafka)
    topic = settings.topic("alerts.notifications")
    return lambda n: publish_notification(producer, topic, n)


def published(settings: Settings) -> list[Notification]:
    messages = read_topic(settings, settings.topic("alerts.notifications"), timeout=3.0)
    return [Notification.from_json(m.value()) for m in messages]


def channel_health() -> AlertRule:
    return AlertRule(
        rule_id="rul_channelhealth01",
        tenant_id="acme",
        name="whatsapp failing",
        type="channel_health",
        metric="failure_rate",
        window="5m",
        condition=Condition("above", value=10),
        destinations=("dst_1",),
        filter=RuleFilter(channel="whatsapp"),
        recovery=5.0,
    )


def messages(kind: str, n: int, at: int, **fields: Any) -> list[dict[str, Any]]:
    return [event(f"message.{kind}", "", at + i, **fields) for i in range(n)]


def test_channel_health_fires_once_and_resolves_once(settings: Settings, db: ClickHouse) -> None:
    """failure_rate above 10 % on whatsapp: one firing, one resolution, one id per episode."""
    apply_topics(settings)
    clock, rule = Clock(), channel_health()
    ev = evaluator(settings, db, clock, kafka_publisher(settings))
    insert_raw(db, messages("sent", 100, T0 - 4 * MIN) + messages("failed", 2, T0 - 3 * MIN))
    # another channel failing does not count
    insert_raw(db, messages("failed", 50, T0 - 3 * MIN, channel="sms"))
    ev.evaluate([rule], "sweep")
    assert ev.state(rule.rule_id).state == "normal"
    clock.ms += MIN
    insert_raw(db, messages("failed", 20, T0 + 10))
    for _ in range(3):  # evaluated again and again: still one firing
        ev.evaluate([rule], "events")
        clock.ms += 1000
    fired_at = T0 + MIN
    assert ev.state(rule.rule_id).state == "firing"
    # 8 % after the window slid: above the recovery (5 %), still firing
    clock.ms = T0 + 6 * MIN
    insert_raw(db, messages("sent", 100, T0 + 5 * MIN) + messages("failed", 8, T0 + 5 * MIN + 500))
    ev.evaluate([rule], "sweep")
    assert ev.state(rule.rule_id).state == "firing"
    clock.ms = T0 + 11 * MIN
    insert_raw(db, messages("sent", 100, T0 + 10 * MIN))
    ev.evaluate([rule], "sweep")
    ev.evaluate([rule], "sweep")
    got = published(settings)
    assert [(n.kind, n.episode_start, n.notification_id) for n in got] == [
        (
            "analytics.alert.triggered",
            fired_at,
            expected_id(rule, fired_at, "analytics.alert.triggered"),
        ),
        (
            "analytics.alert.resolved",
            fired_at,
            expected_id(rule, fired_at, "analytics.alert.resolved"),
        ),
    ]
    fired, resolved = got
    # 22 failed of 100 sent over [T0 + 1 min - 5 min, T0 + 1 min)
    assert fired.payload["value"] == 22.0 and fired.payload["threshold"] == 10.0
    assert fired.payload["filter"] == {"channel": "whatsapp"}
    assert resolved.payload["value"] == 0.0 and resolved.occurred_at == T0 + 11 * MIN
    rows = db.query(
        "SELECT kind, published FROM alert_events FINAL WHERE rule_id = {r:String} ORDER BY kind",
        {"r": rule.rule_id},
    )
    assert rows == [
        {"kind": "analytics.alert.resolved", "published": 1},
        {"kind": "analytics.alert.triggered", "published": 1},
    ]


def automation_failure() -> AlertRule:
    return AlertRule(
        rule_id="rul_automationfail1",
        tenant_id="acme",
        name="automations failing",
        type="automation_failure",
        metric="automation_failed",
        window="15m",
        condition=Condition("above", value=3),
        destinations=("dst_1",),
        pending_seconds=120,
        cooldown_seconds=3600,
    )


def test_automation_failure_waits_its_pending_period(settings: Settings, db: ClickHouse) -> None:
    """automation_failed above 3 for 2 minutes fires once, then resolves when it drops."""
    apply_topics(settings)
    clock, rule = Clock(), automation_failure()
    ev = evaluator(settings, db, clock, kafka_publisher(settings))
    insert_raw(db, [event("automation.failed", "", T0 - MIN + i) for i in range(5)])
    insert_raw(db, [event("automation.failed", "", T0 - MIN + i, tenant="other") for i in range(9)])
    ev.evaluate([rule], "events")
    assert ev.state(rule.rule_id).state == "pending"
    clock.ms = T0 + MIN
    ev.evaluate([rule], "sweep")
    assert ev.state(rule.rule_id).state == "pending"
    clock.ms = T0 + 2 * MIN
    ev.evaluate([rule], "sweep")
    assert ev.state(rule.rule_id).state == "firing"
    clock.ms = T0 + 15 * MIN  # the failures have left the window: 0 failed of 0 events
    ev.evaluate([rule], "sweep")
    assert ev.state(rule.rule_id).state == "firing"  # no data, kept (no_data = keep)
    insert_raw(db, [event("automation.executed", "", T0 + 14 * MIN)])
    ev.evaluate([rule], "sweep")
    got = published(settings)
    start = T0 + 2 * MIN
    assert [(n.kind, n.episode_start, n.notification_id) for n in got] == [
        ("analytics.alert.triggered", start, expected_id(rule, start, "analytics.alert.triggered")),
        ("analytics.alert.resolved", start, expected_id(rule, start, "analytics.alert.resolved")),
    ]
    assert got[0].payload["value"] == 5.0 and got[1].payload["value"] == 0.0


def test_a_failed_publication_is_published_again_with_its_id(
    settings: Settings, db: ClickHouse
) -> None:
    """Kafka refusing the firing leaves it unpublished; the next flush sends the same id."""
    apply_topics(settings)
    clock, rule = Clock(), automation_failure()
    rule = AlertRule.from_dict({**rule.to_dict(), "pending_seconds": 0})
    sent: list[Notification] = []

    def refuse(n: Notification) -> None:
        raise AlertPublishError("broker down", topic="t")

    insert_raw(db, [event("automation.failed", "", T0 - MIN + i) for i in range(5)])
    ev = evaluator(settings, db, clock, refuse)
    ev.evaluate([rule], "events")
    assert ev.outbox_due and ev.state(rule.rule_id).state == "firing"
    # a restarted evaluator (same ClickHouse) takes the state and the outbox from the tables
    again = evaluator(settings, db, clock, sent.append)
    assert again.start_term() == 1
    assert [n.notification_id for n in sent] == [expected_id(rule, T0, "analytics.alert.triggered")]
    assert again.state(rule.rule_id).state == "firing"
    clock.ms += MIN
    again.evaluate([rule], "sweep")
    assert len(sent) == 1
    assert again.start_term() == 0


def test_paused_and_deleted_rules(settings: Settings, db: ClickHouse) -> None:
    """A paused rule is not evaluated; a deleted rule's state is dropped without a notice."""
    clock, rule = Clock(), automation_failure()
    sent: list[Notification] = []
    ev = evaluator(settings, db, clock, sent.append)
    insert_raw(db, [event("automation.failed", "", T0 - MIN + i) for i in range(5)])
    paused = AlertRule.from_dict({**rule.to_dict(), "status": "paused"})
    assert ev.evaluate([paused], "sweep") == 0
    assert ev.state(rule.rule_id).state == "normal"
    ev.evaluate([rule], "sweep")
    assert ev.state(rule.rule_id).state == "pending"
    ev.forget_except(set())
    assert ev.state(rule.rule_id).state == "normal" and sent == []


class CountingReads:
    """``db`` counting the statements that read ``events_raw``."""

    def __init__(self, db: ClickHouse) -> None:
        self.db, self.database, self.shared, self.raw_reads = db, db.database, db.shared, 0

    def query(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        self.raw_reads += "events_raw" in sql
        return self.db.query(sql, params)

    def execute(self, sql: str, params: Any = None) -> int:
        return self.db.execute(sql, params)

    def insert(self, table: str, rows: Any, columns: Any) -> None:
        self.db.insert(table, rows, columns)

    def insert_columns(self, table: str, data: Any) -> None:
        self.db.insert_columns(table, data)

    def close(self) -> None:
        self.db.close()


def test_rules_of_a_tenant_over_one_window_cost_one_read(
    settings: Settings, db: ClickHouse
) -> None:
    """Eight channel rules of one tenant and window read events_raw once per pass, each its own
    channel's figure."""
    counting = CountingReads(db)
    sent: list[Notification] = []
    ev = evaluator(settings, counting, Clock(), sent.append)
    rules = [
        AlertRule.from_dict(
            {**channel_health().to_dict(), "rule_id": f"rul_ch{i}", "filter": {"channel": f"c{i}"}}
        )
        for i in range(8)
    ]
    insert_raw(
        db,
        messages("sent", 10, T0 - MIN, channel="c3")
        + messages("failed", 5, T0 - MIN, channel="c3"),
    )
    assert ev.evaluate(rules, "events") == 8
    assert counting.raw_reads == 1
    assert [n.rule_id for n in sent] == ["rul_ch3"]
