"""``pulse api`` follows the tenants topic, serves GraphQL and /health over its ClickHouse, and
stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from pulse.settings import ROOT, Settings
from pulse.topics.tenants import TenantSettings, publish_tenant
from tests.graphql.test_serve_cli import create_topics, free_port, wait_for_health


def api_env(settings: Settings, kafka: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PULSE_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PULSE_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "PULSE_CLICKHOUSE_URL": settings.clickhouse.url,
        "PULSE_API_PORT": str(settings.api.port),
        "PULSE_REDIS_URL": redis_url,
    }


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.clickhouse
def test_pulse_api_answers_health_and_exits_0_on_sigterm(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """With the tenants topic holding settings, the API process reports every service up,
    serves /metrics without a token, then SIGTERM ends it (and its tenant follower) with 0."""
    port = free_port()
    settings = replace(settings, api=replace(settings.api, port=port))
    env = api_env(settings, kafka, redis_url)
    create_topics(settings, "tenants")
    tenant = TenantSettings("Europe/Lisbon", {"urgent": 600_000})
    publish_tenant(settings.kafka, settings.topic("tenants"), "acme", tenant)
    log_path = tmp_path / "api.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "pulse", "api"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/health", process, log_path)
        assert health.status_code == 200, health.text
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain; version=")
        assert "# TYPE pulse_sink_rows_stored_total counter" in metrics.text
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log_path.read_text(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.clickhouse
def test_pulse_api_without_the_tenants_topic_exits_1_saying_so(
    settings: Settings, kafka: str, redis_url: str
) -> None:
    """Zones and SLA targets come from the tenants topic: without it the API refuses to start
    (rather than bucket everyone in UTC) and names the command that creates it."""
    settings = replace(settings, api=replace(settings.api, port=free_port()))
    done = subprocess.run(
        [sys.executable, "-m", "pulse", "api"],
        cwd=ROOT,
        env=api_env(settings, kafka, redis_url),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert b"pulse topics apply" in done.stderr
