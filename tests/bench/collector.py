"""The collector's figures for ``make bench``: one `pulse collect` process on the real broker.

- ``collector_events_per_s``: bulk requests of 1,000 events (4 in flight) into Kafka, from the
  first request sent to the last answered (each answered only once Kafka acknowledged it);
- ``collector_p99_ms``: the 99th percentile (nearest rank) of single-event POSTs, 16 in flight,
  so each waits behind the others as under load.

Run alone: ``python -m tests.bench.collector`` prints the JSON line.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pulse.collector.keys import new_key, publish_key
from pulse.settings import Settings
from tests.bench.http_client import Connection
from tests.cleanup import delete_topics
from tests.collector.process import collect_process, with_free_port
from tests.e2e.harness import pulse

EVENTS = int(os.environ.get("BENCH_COLLECTOR_EVENTS", "100000"))
BULK = 1000
BULK_IN_FLIGHT = 4
SINGLES = int(os.environ.get("BENCH_COLLECTOR_SINGLES", "3000"))
SINGLES_IN_FLIGHT = 16


def _events(n: int) -> list[dict[str, Any]]:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="milliseconds")
    return [
        {
            "event_id": str(uuid.uuid4()),
            "tenant_id": "acme",
            "event_type": "message.sent",
            "occurred_at": at,
            "message_id": f"m{i}",
            "conversation_id": f"c{i % 5000}",
            "channel": "whatsapp",
            "direction": "outbound",
            "sender_type": "agent",
        }
        for i in range(n)
    ]


async def _send_all(
    port: int, path: str, bodies: list[bytes], headers: dict[str, str], in_flight: int
) -> list[float]:
    """Sends ``bodies`` over ``in_flight`` connections; each answer's latency in seconds."""
    pending = iter(bodies)
    latencies: list[float] = []

    async def sender() -> None:
        connection = await Connection.open("127.0.0.1", port)
        try:
            for body in pending:
                started = time.perf_counter()
                status, answer = await connection.post(path, body, headers)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}: {answer[:300]!r}")
        finally:
            await connection.close()

    await asyncio.gather(*(sender() for _ in range(in_flight)))
    return latencies


def _bulk_rate(port: int, headers: dict[str, str]) -> float:
    events = _events(EVENTS)
    bodies = [json.dumps(events[i : i + BULK]).encode() for i in range(0, len(events), BULK)]
    started = time.perf_counter()
    asyncio.run(_send_all(port, "/v1/events/bulk", bodies, headers, BULK_IN_FLIGHT))
    return len(events) / (time.perf_counter() - started)


def _single_p99_ms(port: int, headers: dict[str, str]) -> float:
    bodies = [json.dumps(e).encode() for e in _events(SINGLES)]
    latencies = asyncio.run(_send_all(port, "/v1/events", bodies, headers, SINGLES_IN_FLIGHT))
    ranked = sorted(latencies)
    return ranked[math.ceil(0.99 * len(ranked)) - 1] * 1000


def measure(settings: Settings, workdir: Path) -> dict[str, float]:
    """Both figures from one collector process over ``settings``' topics (applied here)."""
    settings = with_free_port(settings)
    settings = replace(
        settings, collector=replace(settings.collector, rate_per_second=1e9, burst=10**9)
    )
    pulse(settings, "topics", "apply")
    secret, record = new_key("acme", "server")
    publish_key(settings.kafka, settings.topic("keys"), record)
    headers = {"Authorization": f"Bearer {secret}"}
    with collect_process(settings, workdir / "collect.log"):
        rate = _bulk_rate(settings.collector.port, headers)
        p99 = _single_p99_ms(settings.collector.port, headers)
    return {"collector_events_per_s": round(rate), "collector_p99_ms": round(p99, 1)}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pulse-bench-collector-") as tmp:
        base = Settings()
        run = uuid.uuid4().hex[:6]
        settings = replace(base, kafka=replace(base.kafka, topic_prefix=f"bench{run}"))
        try:
            print(json.dumps(measure(settings, Path(tmp))))
        finally:
            delete_topics(settings.kafka.bootstrap_servers, (settings.kafka.topic_prefix,))


if __name__ == "__main__":
    main()
