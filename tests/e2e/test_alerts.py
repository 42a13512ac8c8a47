"""An alert through every real process: `pulse produce` → `pulse worker` → `pulse serve` (the
sink wakes the evaluator inside it) → `pulse alerts deliver` → a receiver checking signatures."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pulse.alerts.destinations import new_destination, publish_destination
from pulse.alerts.rule_directory import publish_rule
from pulse.alerts.rules import AlertRule, Condition, RuleFilter
from pulse.settings import Settings
from pulse.topics.compacted import acknowledged_producer
from tests.alerts.receiver import Receiver, running_receiver
from tests.e2e.harness import Pipeline, Process, free_port, pulse

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]


def message(kind: str, at_ms: int, channel: str = "whatsapp") -> dict[str, Any]:
    at = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": "acme",
        "event_type": f"message.{kind}",
        "occurred_at": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "message_id": str(uuid.uuid4()),
        "channel": channel,
        "direction": "outbound",
        "sender_type": "system",
    }


def produce(settings: Settings, events: list[dict[str, Any]], path: Path) -> None:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    result = pulse(settings, "produce", str(path), check=False)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def test_a_crossing_event_reaches_the_webhook_signed_within_seconds(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    """failure_rate over 10 % on whatsapp: the failures' batch fires one signed webhook whose id
    is the episode's, seconds after it was produced, long before the next sweep."""
    del kafka, redis_url
    e2e = replace(
        settings,
        api=replace(settings.api, port=free_port(), jwt_secret="e2e-secret-" + "x" * 32),
        stream=replace(settings.stream, web_port=free_port()),
        alerts=replace(
            settings.alerts,
            group_id=f"{settings.kafka.topic_prefix}-alerts",
            allow_loopback=True,
            metrics_port=free_port(),
            sweep_seconds=120.0,
        ),
    )
    pulse(e2e, "topics", "apply")
    destination = new_destination("acme", "webhook", url=receiver.on("/hook"))
    receiver.secrets["/hook"] = destination.secrets
    producer = acknowledged_producer(e2e.kafka)
    publish_destination(producer, e2e.topic("alerts.destinations"), destination)
    rule = AlertRule(
        rule_id="rul_e2ealert0000001",
        tenant_id="acme",
        name="whatsapp failing",
        type="channel_health",
        metric="failure_rate",
        window="5m",
        # The five failures below may reach the sink in two batches: only all five (25 %)
        # are above 20 %, so the one notification carries the same value whatever the split.
        condition=Condition("above", value=20),
        destinations=(destination.destination_id,),
        filter=RuleFilter(channel="whatsapp"),
    )
    publish_rule(producer, e2e.topic("alerts.rules"), rule)
    pipeline = Pipeline(e2e, tmp_path)
    deliverer = Process("deliver", ["alerts", "deliver"], e2e, tmp_path / "deliver.log")
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        deliverer.start()
        pipeline.wait_api()
        now = int(time.time() * 1000)
        produce(e2e, [message("sent", now - 1000 + i) for i in range(20)], tmp_path / "a.jsonl")
        pipeline.wait_caught_up()
        time.sleep(2)
        assert receiver.at("/hook") == []
        # 5 failed of 20 sent: 25 %
        crossing = [message("failed", int(time.time() * 1000)) for _ in range(5)]
        produced = time.monotonic()
        produce(e2e, crossing, tmp_path / "b.jsonl")
        (request,) = receiver.wait_for("/hook", 1, timeout=60)
        latency = request.at - produced
        pipeline.serve.assert_alive()
    finally:
        deliverer.stop()
        pipeline.stop()
    body = json.loads(request.body)
    assert body["type"] == "analytics.alert.triggered"
    assert body["data"]["value"] == 25.0 and body["data"]["filter"] == {"channel": "whatsapp"}
    start = datetime.fromisoformat(body["data"]["episode_start"]).timestamp() * 1000
    assert request.verified_with == (0,)
    seed = "\x00".join(("acme", rule.rule_id, str(round(start)), body["type"])).encode()
    assert request.headers["webhook-id"] == "msg_" + hashlib.sha256(seed).hexdigest()[:32]
    # far below the 120 s sweep: the sink's wake-up did it (`pulse produce` itself takes ~1 s)
    assert latency < 15, latency
