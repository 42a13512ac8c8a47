"""``pulse migrate`` and ``pulse sink`` as a user runs them, in child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import discover
from tests.sinks.kafka_util import committed, create_rows_topic, produce
from tests.sinks.rows import event
from tests.streams.worker_run import free_port

REPO = Path(__file__).resolve().parents[2]


def env(settings: Settings, metrics_port: int = 0) -> dict[str, str]:
    return {
        **os.environ,
        "PULSE_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "PULSE_CLICKHOUSE_URL": settings.clickhouse.url,
        "PULSE_SINK_GROUP_ID": settings.sink.group_id,
        "PULSE_SINK_BATCH_SECONDS": "0.2",
        "PULSE_SINK_METRICS_PORT": str(metrics_port or free_port()),
        "PULSE_LOG_LEVEL": "WARNING",
    }


def pulse(settings: Settings, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pulse", *args],
        cwd=REPO,
        env=env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def metrics_of(port: int) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)


@pytest.mark.clickhouse
def test_migrate_up_status_down(settings: Settings) -> None:
    """up applies all, status lists them applied, down 0 rolls every one back."""
    last = len(discover())
    assert f"applied {last:04d}" in pulse(settings, "migrate", "up")
    assert pulse(settings, "migrate", "status").count("applied") == last
    assert "rolled back 0001" in pulse(settings, "migrate", "down", "0")
    assert pulse(settings, "migrate", "status").count("pending") == last


@pytest.mark.kafka
@pytest.mark.clickhouse
@pytest.mark.redis
def test_sink_command_stores_rows_and_stops_cleanly_on_sigterm(settings: Settings) -> None:
    """pulse sink migrates, stores produced rows, commits, serves /metrics, and exits 0 on
    SIGTERM."""
    create_rows_topic(settings)
    produce(settings, [("events_raw", [event(event_id=f"c{i}")]) for i in range(5)], partition=0)
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "pulse", "sink"],
        cwd=REPO,
        env=env(settings, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while committed(settings).get(0, -1) < 5 and time.monotonic() < deadline:
            assert child.poll() is None, child.stdout.read() if child.stdout else ""
            time.sleep(0.3)
        stored = 'pulse_sink_rows_stored_total{table="events_raw"} 5.0'
        # The counter moves just after the commit that the loop above saw.
        while stored not in (metrics := metrics_of(port)).text and time.monotonic() < deadline:
            time.sleep(0.3)
    finally:
        child.send_signal(signal.SIGTERM)
        output, _ = child.communicate(timeout=60)
    assert child.returncode == 0, output
    assert metrics.headers["content-type"].startswith("text/plain; version=")
    assert stored in metrics.text
    assert "# TYPE pulse_consumer_lag_messages gauge" in metrics.text
    client = connect(settings.clickhouse)
    try:
        assert client.query("SELECT count() AS n FROM events_raw FINAL") == [{"n": 5}]
    finally:
        client.close()
