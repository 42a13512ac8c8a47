"""The alert latency for ``make bench``: from producing the event that crosses a rule's threshold
to a local receiver getting the signed webhook, through every real process (`pulse worker`,
`pulse serve` with its evaluator, `pulse alerts deliver`), under a steady ingest load.

- ``alert_latency_p95_ms`` (and ``_p50_ms``, ``_max_ms``): nearest rank over ``TRIALS`` crossings,
  each a single ``message.failed`` of its own channel for a rule "failed above 0" on that channel,
  while another tenant's messages stream in at ``LOAD_PER_S`` events/s. Target: ≤ 2,000 ms.

Also where the time goes: ``alert_<stage>_p50_ms``/``_p95_ms``, from production to the worker's
hand-off, the sink's derivations and the evaluator's notification (tests/bench/alert_stages.py).

Run alone: ``python -m tests.bench.alerts`` prints the JSON line.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulse.alerts.destinations import new_destination, publish_destination
from pulse.alerts.rule_directory import publish_rule
from pulse.alerts.rules import AlertRule, Condition, RuleFilter
from pulse.avro.codec import EventEncoder
from pulse.avro.contract import validate
from pulse.avro.producer import EventProducer
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import ClickHouseSettings, Settings
from pulse.topics.compacted import acknowledged_producer
from tests.alerts.receiver import Receiver, running_receiver
from tests.bench.alert_stages import StageStamps
from tests.cleanup import delete_topics
from tests.e2e.harness import Pipeline, Process, free_port, pulse

TRIALS = int(os.environ.get("BENCH_ALERT_TRIALS", "20"))
LOAD_PER_S = int(os.environ.get("BENCH_ALERT_LOAD_PER_S", "2000"))
TENANT = "alertco"
# A sweep never comes during the run: every firing is the sink's wake-up.
SWEEP_SECONDS = 600.0


def _message(tenant: str, kind: str, channel: str) -> dict[str, Any]:
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": tenant,
        "event_type": f"message.{kind}",
        "occurred_at": at,
        "message_id": str(uuid.uuid4()),
        "channel": channel,
        "direction": "outbound",
        "sender_type": "system",
    }


def _load(settings: Settings, stop: threading.Event) -> None:
    """``LOAD_PER_S`` messages a second of another tenant, in 10 slices a second."""
    producer = EventProducer(settings.kafka, EventEncoder(SchemaCatalog()))
    per_slice = max(1, LOAD_PER_S // 10)
    while not stop.is_set():
        started = time.monotonic()
        for _ in range(per_slice):
            producer.publish(validate(_message("loadco", "sent", "email")))
        producer.flush()
        stop.wait(max(0.0, 0.1 - (time.monotonic() - started)))


def _rule(i: int, destination_id: str) -> AlertRule:
    return AlertRule(
        rule_id=f"rul_bench{i:011d}",
        tenant_id=TENANT,
        name=f"bench channel {i} failing",
        type="channel_health",
        metric="failed",
        window="5m",
        condition=Condition("above", value=0),
        destinations=(destination_id,),
        filter=RuleFilter(channel=f"bench{i}"),
    )


def _trials(
    settings: Settings, receiver: Receiver, path: str, stamps: StageStamps
) -> tuple[list[float], list[float]]:
    """When each crossing was produced, and when its webhook was received (monotonic)."""
    producer = EventProducer(settings.kafka, EventEncoder(SchemaCatalog()))
    produced, received = [], []
    for i in range(TRIALS):
        event = validate(_message(TENANT, "failed", f"bench{i}"))
        stamps.trial(i)
        produced.append(time.monotonic())
        producer.publish(event)
        producer.flush()
        requests = receiver.wait_for(path, i + 1, timeout=60)
        received.append(requests[i].at)
        time.sleep(0.5)
    return produced, received


def _rank(values: list[float], p: int) -> float:
    ranked = sorted(values)
    return ranked[math.ceil(p / 100 * len(ranked)) - 1]


def measure(settings: Settings, workdir: Path) -> dict[str, float]:
    """The latency figures of one pipeline over ``settings``' topics (applied here)."""
    settings = replace(
        settings,
        stream=replace(settings.stream, web_port=free_port()),
        api=replace(settings.api, port=free_port()),
        alerts=replace(
            settings.alerts,
            group_id=f"{settings.kafka.topic_prefix}-alerts",
            allow_loopback=True,
            metrics_port=free_port(),
            sweep_seconds=SWEEP_SECONDS,
        ),
    )
    pulse(settings, "topics", "apply")
    with running_receiver() as receiver:
        destination = new_destination(TENANT, "webhook", url=receiver.on("/bench"))
        receiver.secrets["/bench"] = destination.secrets
        producer = acknowledged_producer(settings.kafka)
        publish_destination(producer, settings.topic("alerts.destinations"), destination)
        for i in range(TRIALS):
            publish_rule(
                producer, settings.topic("alerts.rules"), _rule(i, destination.destination_id)
            )
        pipeline = Pipeline(settings, workdir)
        deliverer = Process("deliver", ["alerts", "deliver"], settings, workdir / "deliver.log")
        stop = threading.Event()
        load = threading.Thread(target=_load, args=(settings, stop), daemon=True)
        stamps = StageStamps(settings, TENANT, [f'"bench{i}"'.encode() for i in range(TRIALS)])
        try:
            pipeline.serve.start()
            pipeline.worker.start()
            deliverer.start()
            pipeline.wait_api()
            load.start()
            stamps.start()
            time.sleep(15)  # the worker joins its group, the load reaches a steady state
            produced, received = _trials(settings, receiver, "/bench", stamps)
        finally:
            stop.set()
            stamps.stop()
            load.join(30)
            deliverer.stop()
            pipeline.stop()
        if any(not r.verified_with for r in receiver.at("/bench")):
            raise RuntimeError("a webhook failed its signature check")
    latencies = [r - p for p, r in zip(produced, received, strict=True)]
    return {
        "alert_latency_p50_ms": round(_rank(latencies, 50) * 1000, 1),
        "alert_latency_p95_ms": round(_rank(latencies, 95) * 1000, 1),
        "alert_latency_max_ms": round(max(latencies) * 1000, 1),
        **stamps.breakdown(produced),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pulse-bench-alerts-") as tmp:
        base = Settings()
        run = uuid.uuid4().hex[:6]
        workdir = Path(tmp)
        settings = replace(
            base,
            kafka=replace(base.kafka, topic_prefix=f"bench{run}"),
            stream=replace(base.stream, app_id=f"bench{run}-worker", data_dir=workdir / "faust"),
            clickhouse=ClickHouseSettings(url=f"chdb://{workdir / 'chdb'}", database="pulse"),
            sink=replace(base.sink, group_id=f"bench{run}-sink"),
        )
        try:
            print(json.dumps(measure(settings, workdir)))
        finally:
            delete_topics(settings.kafka.bootstrap_servers, (settings.kafka.topic_prefix,))


if __name__ == "__main__":
    main()
