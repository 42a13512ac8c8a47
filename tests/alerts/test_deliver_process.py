"""`pulse alerts deliver` as a real process on the real broker: a SIGKILL mid-retry, 410s,
dead letters listed and replayed, the metrics, and the attempts stored by a real sink."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pulse.alerts.destinations import (
    Destination,
    new_destination,
    publish_destination,
)
from pulse.alerts.directory import DestinationDirectory
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from pulse.sinks.sink import SinkRunner
from pulse.topics.compacted import acknowledged_producer
from tests.alerts.conftest import apply_topics, notification, publish_one
from tests.alerts.receiver import Receiver
from tests.e2e.harness import Process, pulse

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def add(settings: Settings, receiver: Receiver, path: str, *answers: int) -> Destination:
    destination = new_destination("acme", "webhook", url=receiver.on(path, *answers))
    receiver.secrets[path] = destination.secrets
    publish_destination(
        acknowledged_producer(settings.kafka), settings.topic("alerts.destinations"), destination
    )
    return destination


@pytest.fixture
def deliverer(alert_settings: Settings, kafka: str, tmp_path: Path) -> Iterator[Process]:
    """`pulse alerts deliver` over the test's applied topics (started by the test)."""
    apply_topics(alert_settings)
    process = Process("deliver", ["alerts", "deliver"], alert_settings, tmp_path / "deliver.log")
    yield process
    process.stop()


def test_a_deliverer_killed_mid_retry_delivers_after_restart_with_the_same_id(
    alert_settings: Settings, receiver: Receiver, deliverer: Process
) -> None:
    """SIGKILL between a failed attempt and its retry; the restarted process delivers, same id."""
    destination = add(alert_settings, receiver, "/crash", 500, 500)
    n = notification(destination.destination_id)
    slow_retry = {"PULSE_ALERTS_JITTER": "false", "PULSE_ALERTS_BASE_BACKOFF_SECONDS": "5"}
    deliverer.start(slow_retry)
    publish_one(alert_settings, n)
    receiver.wait_for("/crash", 1, timeout=60)
    deliverer.kill()
    deliverer.start({"PULSE_ALERTS_BASE_BACKOFF_SECONDS": "0.2"})
    requests = receiver.wait_for("/crash", 3, timeout=90)
    assert {r.headers["webhook-id"] for r in requests} == {n.notification_id}
    assert all(r.verified_with == (0,) for r in requests)


def test_410_disables_dead_letters_replay_and_attempts_reach_clickhouse(
    alert_settings: Settings, receiver: Receiver, deliverer: Process
) -> None:
    """One notification to a 410 and an always-failing destination: the first is disabled, the
    second dead-lettered, listed and replayed with its id; every attempt is stored by the sink."""
    settings = alert_settings
    gone = add(settings, receiver, "/gone", 410)
    down = add(settings, receiver, "/down", *([500] * settings.alerts.max_attempts))
    n = notification(gone.destination_id, down.destination_id)
    deliverer.start()
    publish_one(settings, n)
    receiver.wait_for("/down", settings.alerts.max_attempts, timeout=60)
    with DestinationDirectory.from_settings(settings) as directory:
        deadline_polls = 0
        while deadline_polls < 100:
            directory.wait_until_caught_up(30)
            found = directory.get(gone.destination_id)
            if found is not None and not found.enabled:
                break
            deadline_polls += 1
        assert found is not None and not found.enabled and "410" in found.disabled_reason
    listed = _wait_listed(settings)
    assert n.notification_id in listed and down.destination_id in listed
    assert gone.destination_id not in listed
    metrics = httpx.get(f"http://127.0.0.1:{settings.alerts.metrics_port}/metrics").text
    assert 'pulse_alert_deliveries_total{kind="webhook",outcome="dead_lettered"}' in metrics

    pulse(settings, "alerts", "dlq", "replay")
    requests = receiver.wait_for("/down", settings.alerts.max_attempts + 1, timeout=60)
    assert {r.headers["webhook-id"] for r in requests} == {n.notification_id}
    assert len(receiver.at("/gone")) == 1

    deliverer.stop()
    client = connect(settings.clickhouse)
    try:
        Migrator(client, settings.clickhouse.database).up()
        SinkRunner(settings, client).run_until_idle(2.0)
        rows = stored(client, n.notification_id)
    finally:
        client.close()
    outcomes = [(r["destination_id"], r["outcome"], r["status_code"]) for r in rows]
    assert (gone.destination_id, "disabled", 410) in outcomes
    down_outcomes = [o for d, o, _ in outcomes if d == down.destination_id]
    assert down_outcomes.count("dead_lettered") == 1 and down_outcomes[-1] == "delivered"
    assert len(down_outcomes) == settings.alerts.max_attempts + 1


def _wait_listed(settings: Settings) -> str:
    for _ in range(30):
        listed = pulse(settings, "alerts", "dlq", "list").stdout
        if listed:
            return listed
    raise AssertionError("no dead letter listed")


def stored(client: ClickHouse, notification_id: str) -> list[dict[str, object]]:
    return client.query(
        "SELECT destination_id, attempt, outcome, status_code FROM alert_deliveries FINAL "
        "WHERE notification_id = {n:String} ORDER BY attempted_at, attempt",
        {"n": notification_id},
    )


def test_a_record_that_is_no_notification_is_dead_lettered_not_replayed(
    alert_settings: Settings, deliverer: Process
) -> None:
    """A record on alerts.notifications that is not a notification is kept in the dead-letter
    topic with its reason, listed, and left out of a replay."""
    settings = alert_settings
    producer = acknowledged_producer(settings.kafka)
    producer.produce(settings.topic("alerts.notifications"), key=b"t:r", value=b"not json")
    assert producer.flush(30) == 0
    deliverer.start()
    listed = _wait_listed(settings)
    [line] = listed.splitlines()
    _, *fields, reason = line.split("\t")
    assert fields == ["-", "-", "-", "-"] and reason
    assert "replayed 0" in pulse(settings, "alerts", "dlq", "replay").stdout
