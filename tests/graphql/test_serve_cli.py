"""``pulse serve`` runs the sink beside the API, stops both cleanly, and dies with the sink."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from confluent_kafka import Producer

# NewTopic is re-exported without __all__, which strict mypy rejects.
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from starlette.applications import Starlette

from pulse.graphql.serve_cli import serve_with_sink
from pulse.settings import ROOT, Settings
from tests.graphql.conftest import RAW_ROWS, token

EXPECTED = [{"sent": 16, "firstResponse": {"conversations": 5}}]
QUERY = """
query($from: DateTime!) {
  messagingMetrics(from: $from, to: "2025-03-10T10:00:00Z", granularity: HOUR) {
    buckets { sent firstResponse { conversations } }
  }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_server() -> uvicorn.Server:
    config = uvicorn.Config(Starlette(), port=free_port(), log_config=None, lifespan="off")
    return uvicorn.Server(config)


def when_started(server: uvicorn.Server, action: object) -> None:
    """Runs ``action()`` in a thread once ``server`` accepts connections."""

    def wait() -> None:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        action()  # type: ignore[operator]

    threading.Thread(target=wait, daemon=True).start()


class FailingSink:
    """A sink that crashes once the API is up."""

    def __init__(self, server: uvicorn.Server) -> None:
        self.server = server

    def run(self, stop: threading.Event) -> None:
        while not self.server.started:
            time.sleep(0.02)
        raise RuntimeError("ClickHouse went away")


class PatientSink:
    """A sink that consumes until asked to stop, and records that it was."""

    def __init__(self) -> None:
        self.stopped = False

    def run(self, stop: threading.Event) -> None:
        stop.wait(30)
        self.stopped = stop.is_set()


class QuittingSink:
    """A sink that returns without being asked to."""

    def run(self, stop: threading.Event) -> None:
        time.sleep(0.2)


def test_sink_failure_stops_the_api_with_exit_1() -> None:
    """When the sink thread raises, the server shuts down and the exit code is 1."""
    server = api_server()
    started = time.monotonic()
    assert serve_with_sink(server, FailingSink(server)) == 1
    assert time.monotonic() - started < 10


def test_sink_returning_on_its_own_is_a_failure() -> None:
    """A sink that stops without being asked is as fatal as one that raises."""
    assert serve_with_sink(api_server(), QuittingSink()) == 1


def test_sigterm_stops_the_sink_and_the_api_cleanly() -> None:
    """SIGTERM ends the server, sets the sink's stop event, exits 0 and restores the handler."""
    before = signal.getsignal(signal.SIGTERM)
    server = api_server()
    sink = PatientSink()
    when_started(server, lambda: os.kill(os.getpid(), signal.SIGTERM))
    assert serve_with_sink(server, sink) == 0
    assert sink.stopped
    assert signal.getsignal(signal.SIGTERM) == before


def create_topics(settings: Settings, *names: str) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap_servers})
    futures = admin.create_topics([NewTopic(settings.topic(name), 1, 1) for name in names])
    for future in futures.values():
        future.result(timeout=30)


def publish_rows(settings: Settings, table: str, rows: list[dict[str, Any]]) -> None:
    """One hand-off message, as the worker writes it (docs/ARCHITECTURE.md, row contract)."""
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    value = json.dumps(rows).encode()
    producer.produce(settings.topic("rows"), key=table.encode(), value=value)
    assert producer.flush(30) == 0


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            return httpx.get(url, timeout=5)
        except httpx.HTTPError:
            time.sleep(0.3)
    raise AssertionError(f"no answer from {url}:\n{log.read_text(errors='replace')}")


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.clickhouse
def test_pulse_serve_stores_handed_off_rows_serves_them_and_stops_on_sigterm(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """The real command migrates, stores hand-off rows, serves them, and exits 0 on SIGTERM."""
    settings = replace(settings, api=replace(settings.api, port=free_port()))
    env = {
        **os.environ,
        "PULSE_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PULSE_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "PULSE_CLICKHOUSE_URL": settings.clickhouse.url,
        "PULSE_SINK_GROUP_ID": settings.sink.group_id,
        "PULSE_API_PORT": str(settings.api.port),
        "PULSE_API_JWT_SECRET": settings.api.jwt_secret,
        "PULSE_REDIS_URL": redis_url,
    }
    create_topics(settings, "rows", "tenants")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pulse", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        base = f"http://127.0.0.1:{settings.api.port}"
        health = wait_for_health(f"{base}/health", process, log_path)
        assert health.status_code == 200, health.text
        publish_rows(settings, "events_raw", RAW_ROWS)
        query = {"query": QUERY, "variables": {"from": "2025-03-10T09:00:00Z"}}
        headers = {"Authorization": f"Bearer {token(settings)}"}
        deadline = time.monotonic() + 60
        buckets: list[dict[str, Any]] = []
        # The sink stores and derives the rows on its own schedule.
        while buckets != EXPECTED and time.monotonic() < deadline:
            body = httpx.post(f"{base}/graphql", json=query, headers=headers, timeout=30).json()
            assert "errors" not in body, body
            buckets = body["data"]["messagingMetrics"]["buckets"]
            time.sleep(0.3)
        assert buckets == EXPECTED
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log_path.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
