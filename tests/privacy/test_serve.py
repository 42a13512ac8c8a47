"""The privacy commands and the retention job inside a real ``pulse serve``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from pulse.settings import ROOT, Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from tests.graphql.test_serve_cli import create_topics, free_port, wait_for_health
from tests.privacy.dataset import now_ms, store, tenant_events

DAY = 86_400_000


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.clickhouse
def test_privacy_and_retention_run_inside_a_real_pulse_serve(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """While serve holds chdb: export, erase, log and recalc --verify go to it; its job expires."""
    settings = replace(settings, api=replace(settings.api, port=free_port()))
    tenant = "acme"
    now = now_ms()
    rows = tenant_events(tenant, now)
    expired = [r | {"occurred_at": r["occurred_at"] - 100 * DAY} for r in tenant_events("old", now)]
    db = connect(settings.clickhouse)
    Migrator(db, db.database).up()
    store(db, rows + expired)
    db.close()
    env = {
        **os.environ,
        "PULSE_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PULSE_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "PULSE_CLICKHOUSE_URL": settings.clickhouse.url,
        "PULSE_SINK_GROUP_ID": settings.sink.group_id,
        "PULSE_API_PORT": str(settings.api.port),
        "PULSE_REDIS_URL": redis_url,
        "PULSE_PRIVACY_RETENTION_INTERVAL_SECONDS": "1",
    }
    create_topics(settings, "rows", "tenants")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        serve = subprocess.Popen(
            [sys.executable, "-m", "pulse", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

    def pulse(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pulse", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    try:
        wait_for_health(f"http://127.0.0.1:{settings.api.port}/health", serve, log_path)
        who = ["--tenant", tenant, "--contact", "k1"]
        exported = pulse("privacy", "export", *who, "--requested-by", "dpo")
        assert exported.returncode == 0, exported.stderr
        k1 = {r["event_id"] for r in rows if r["contact_id"] == "k1"}
        assert {json.loads(line)["event_id"] for line in exported.stdout.splitlines()} == k1
        erased = pulse("privacy", "erase", *who, "--requested-by", "dpo", "--reason", "art. 17")
        assert erased.returncode == 0, erased.stderr
        assert json.loads(erased.stdout)["events"] == len(k1)
        assert pulse("privacy", "export", *who).stdout == ""
        verify = pulse("recalc", "--verify", "--json", "--quiet")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        deadline = time.monotonic() + 30
        while "retention run" not in log_path.read_text(errors="replace"):
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        logged = pulse("privacy", "log", "--json")
        actions = sorted(json.loads(line)["action"] for line in logged.stdout.splitlines())
        assert {"erase", "export", "retention"} <= set(actions), logged.stderr
        dry = pulse("retention", "apply", "--dry-run")
        assert dry.returncode == 0 and dry.stdout == "", dry.stdout + dry.stderr
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0, log_path.read_text(errors="replace")
    finally:
        if serve.poll() is None:
            serve.kill()
