"""The subscription latency for ``make bench``: from the sink storing a tenant's rows to a
``realtimeMessaging`` subscriber receiving the updated figure over its WebSocket.

- ``subscription_latency_p95_ms`` (and ``_p50_ms``, ``_max_ms``): nearest rank over ``TRIALS``
  batches of one message each, stored by a sink (in a thread, real Kafka, chdb, Redis) into the
  API's chdb; "stored" is the sink's clock read right after the batch's insert and derivations,
  "pushed" the subscriber's receipt. Target: ≤ 1,000 ms.

Run alone: ``python -m tests.bench.live`` prints the JSON line.
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
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.auth import issue_token
from pulse.settings import ClickHouseSettings, Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from pulse.sinks.realtime import RealtimeCache
from pulse.sinks.sink import SinkRunner
from tests.cleanup import delete_topics
from tests.graphql.live_client import PROTOCOL, init, receive, subscribe
from tests.sinks.kafka_util import create_rows_topic, produce
from tests.sinks.rows import event

TRIALS = int(os.environ.get("BENCH_LIVE_TRIALS", "30"))
QUERY = "subscription { realtimeMessaging { total { sent } } }"


class _Clock:
    def __init__(self) -> None:
        self.reads: list[float] = []

    def __call__(self) -> float:
        now = time.time()
        self.reads.append(now)
        return now


def _rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _health() -> dict[str, Any]:
    return {"brokers": 1}


def measure(settings: Settings) -> dict[str, float]:
    create_rows_topic(settings, partitions=1)
    db = connect(settings.clickhouse)
    Migrator(db, settings.clickhouse.database).up()
    tenant = f"live-{uuid.uuid4().hex[:8]}"
    clock = _Clock()
    runner = SinkRunner(settings, db, RealtimeCache(settings.redis.url, 60), clock=clock)
    stop = threading.Event()
    sink = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    sink.start()
    app = create_app(settings, db, RealtimeCache(settings.redis.url, 60), _health)
    token = issue_token(tenant, settings.api.jwt_secret, 3600)
    latencies: list[float] = []
    try:
        with (
            TestClient(app) as client,
            client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as socket,
        ):
            init(socket, token)
            receive(socket)
            subscribe(socket, QUERY)
            receive(socket)
            for n in range(TRIALS):
                sent = time.time()
                now = int(sent * 1000)
                produce(settings, [("events_raw", [event(tenant, f"e{n}", occurred_at=now)])])
                receive(socket)
                arrived = time.time()
                stored = next(t for t in clock.reads if t >= sent)
                latencies.append((arrived - stored) * 1000)
    finally:
        stop.set()
        sink.join(timeout=30)
        db.close()
    return {
        "subscription_latency_p50_ms": round(_rank(latencies, 0.5), 1),
        "subscription_latency_p95_ms": round(_rank(latencies, 0.95), 1),
        "subscription_latency_max_ms": round(max(latencies), 1),
    }


def run(workdir: Path) -> dict[str, float]:
    """On a pipeline of its own (prefix, chdb), its topics deleted afterwards."""
    run_id = uuid.uuid4().hex[:6]
    base = Settings()
    settings = replace(
        base,
        kafka=replace(base.kafka, topic_prefix=f"benchlive{run_id}"),
        clickhouse=ClickHouseSettings(url=f"chdb://{workdir / 'chdb'}", database="pulse"),
        sink=replace(base.sink, group_id=f"benchlive{run_id}-sink"),
    )
    try:
        return measure(settings)
    finally:
        delete_topics(settings.kafka.bootstrap_servers, (settings.kafka.topic_prefix,))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="pulse-bench-live-") as tmp:
        print(json.dumps(run(Path(tmp))))
