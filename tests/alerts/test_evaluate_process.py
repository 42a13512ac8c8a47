"""`pulse alerts evaluate` as a real process: killed between storing a firing and publishing
it, restarted, it publishes the firing once, with the id the stored row names."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from pulse.alerts.notifications import Notification
from pulse.alerts.rule_directory import publish_rule
from pulse.alerts.rules import AlertRule, Condition
from pulse.faults import ALERTS_AFTER_FIRING_STORED
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from pulse.topics.compacted import acknowledged_producer
from tests.alerts.conftest import apply_topics
from tests.e2e.harness import Process, fault_env, free_port
from tests.families.events import event, insert_raw
from tests.sinks.kafka_util import read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.clickhouse, pytest.mark.slow]

RULE = AlertRule(
    rule_id="rul_crashtest000001",
    tenant_id="acme",
    name="automations failing",
    type="automation_failure",
    metric="automation_failed",
    window="15m",
    condition=Condition("above", value=3),
    destinations=("dst_1",),
)


def notifications(settings: Settings, timeout: float) -> list[Notification]:
    messages = read_topic(settings, settings.topic("alerts.notifications"), timeout=timeout)
    return [Notification.from_json(m.value()) for m in messages]


def test_an_evaluator_killed_before_publishing_publishes_the_same_id_after_restart(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """SIGKILL at alerts.after_firing_stored; the restart publishes that firing, once, same id."""
    del kafka, redis_url
    settings = replace(
        settings,
        alerts=replace(
            settings.alerts, sweep_seconds=1.0, lease_seconds=2.0, evaluate_metrics_port=free_port()
        ),
    )
    apply_topics(settings)
    db = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        now = int(time.time() * 1000)
        insert_raw(db, [event("automation.failed", "", now - 60_000 + i) for i in range(5)])
    finally:
        db.close()
    publish_rule(acknowledged_producer(settings.kafka), settings.topic("alerts.rules"), RULE)

    marker = tmp_path / "marker"
    evaluator = Process("evaluate", ["alerts", "evaluate"], settings, tmp_path / "evaluate.log")
    evaluator.start(fault_env(ALERTS_AFTER_FIRING_STORED, 1, marker))
    try:
        assert evaluator.wait_exit(120) == -9, evaluator.tail()
        assert marker.read_text().split() == [ALERTS_AFTER_FIRING_STORED]
        assert notifications(settings, timeout=2.0) == []
        evaluator.start()
        deadline = time.monotonic() + 60
        got: list[Notification] = []
        while not got and time.monotonic() < deadline:
            got = notifications(settings, timeout=2.0)
        # sweeps go on (every second): the episode is not fired again
        time.sleep(3)
        got = notifications(settings, timeout=2.0)
        evaluator.assert_alive()
    finally:
        evaluator.stop()
    assert [(n.kind, n.rule_id) for n in got] == [("analytics.alert.triggered", RULE.rule_id)]
    db = connect(settings.clickhouse)
    try:
        rows = db.query(
            "SELECT notification_id, published, toUnixTimestamp64Milli(episode_start) AS start"
            " FROM alert_events FINAL"
        )
    finally:
        db.close()
    assert rows == [
        {"notification_id": got[0].notification_id, "published": 1, "start": got[0].episode_start}
    ]
