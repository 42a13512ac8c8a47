"""``pulse recalc`` on a real chdb and a real derived table: run here, and through the process
that holds the directory (an API in this process, then the real ``pulse serve``)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette

from pulse.families.recalc import RecalcError
from pulse.families.registry import DERIVATIONS
from pulse.graphql.recalc_route import recalc_route
from pulse.recalc_cli import add_arguments, run
from pulse.settings import ROOT, Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.e2e.recalc_table import CREATE, TABLE, ConversationCounts
from tests.families.events import event, ms, store
from tests.graphql.test_serve_cli import create_topics, free_port, wait_for_health

SECRET = "recalc-secret-" + "x" * 32
RAW = [
    event("message.received", "c1", "2026-11-01T10:00:00Z"),
    event("message.sent", "c1", "2026-11-01T10:05:00Z"),
    event("message.sent", "c1", "2026-11-03T09:00:00Z"),
    event("message.received", "c2", "2026-11-02T12:00:00Z"),
    event("message.received", "g1", "2026-11-01T08:00:00Z", tenant="globex"),
    event("message.sent", "g1", "2026-11-01T08:30:00Z", tenant="globex"),
]
# The figures counted by hand from RAW: events and first instant per conversation.
EXPECTED = {
    ("acme", "c1"): (3, ms("2026-11-01T10:00:00Z")),
    ("acme", "c2"): (1, ms("2026-11-02T12:00:00Z")),
    ("globex", "g1"): (2, ms("2026-11-01T08:00:00Z")),
}


@pytest.fixture
def recalc_settings(settings: Settings) -> Settings:
    return replace(settings, api=replace(settings.api, jwt_secret=SECRET, port=free_port()))


def prepare(db: ClickHouse) -> None:
    """Raw events, the derived table, and one stale stored row (c1 counted before its last
    event arrived)."""
    Migrator(db, db.database).up()
    store(db, RAW)
    db.execute(CREATE)
    db.execute(
        f"INSERT INTO {TABLE} VALUES ('acme', 'c1', 2, fromUnixTimestamp64Milli({{at:Int64}}), 1)",
        {"at": ms("2026-11-01T10:00:00Z")},
    )


def stored(db: ClickHouse) -> list[tuple[Any, ...]]:
    rows = db.query(f"SELECT * FROM {TABLE} FINAL ORDER BY tenant_id, conversation_id")
    return [
        (r["tenant_id"], r["conversation_id"], r["events"], int(r["first_at"].timestamp() * 1000))
        for r in rows
    ]


def expected_rows(*keys: tuple[str, str]) -> list[tuple[Any, ...]]:
    return [(*key, *EXPECTED[key]) for key in sorted(keys)]


def recalc(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run(parser.parse_args([*argv, "--quiet"]), settings, [ConversationCounts()])


def verified(settings: Settings, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    """The --verify --json document and the exit code."""
    code = recalc(settings, "--verify", "--json", *argv)
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def check_repair(settings: Settings, capsys: pytest.CaptureFixture[str], read: Any) -> None:
    """The scenario both paths must pass: verify finds the stale row and the missing ones,
    a tenant's refresh repairs that tenant, a range limits the keys, a repeat changes nothing."""
    code, document = verified(settings, capsys)
    assert code == 1
    found = {
        (tuple(d["key"]), d["column"]): (d["stored"], d["recomputed"])
        for d in document["differences"]
    }
    assert found[(("acme", "c1"), "events")] == (2, 3)
    assert found[(("acme", "c2"), "events")] == (None, 1)
    assert found[(("globex", "g1"), "events")] == (None, 2)
    assert read() == [("acme", "c1", 2, ms("2026-11-01T10:00:00Z"))]  # verify wrote nothing

    assert recalc(settings, "--tenant", "acme") == 0
    assert "demo: 2 keys, 2 rows written" in capsys.readouterr().out
    assert read() == expected_rows(("acme", "c1"), ("acme", "c2"))
    assert verified(settings, capsys, "--tenant", "acme")[0] == 0

    code, document = verified(
        settings, capsys, "--from", "2026-11-01T08:00Z", "--to", "2026-11-01T09:00Z"
    )
    assert (code, document["families"][0]["keys"]) == (1, 1)
    assert recalc(settings, "--from", "2026-11-01T08:00Z", "--to", "2026-11-01T09:00Z") == 0
    assert recalc(settings) == 0
    assert recalc(settings) == 0
    capsys.readouterr()
    assert read() == expected_rows(*EXPECTED)
    assert verified(settings, capsys)[0] == 0


@pytest.mark.clickhouse
def test_recalc_opens_a_free_directory_itself(
    recalc_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no process holding chdb, the command opens it, verifies and repairs in place."""
    db = connect(recalc_settings.clickhouse)
    prepare(db)
    db.close()

    def read() -> list[tuple[Any, ...]]:
        client = connect(recalc_settings.clickhouse)
        try:
            return stored(client)
        finally:
            client.close()

    check_repair(recalc_settings, capsys, read)


@pytest.fixture
def holding_api(recalc_settings: Settings) -> Iterator[ClickHouse]:
    """This process holds the chdb directory and serves ``/admin/recalc`` over it, as
    ``pulse serve`` does, with the test's derivation."""
    db = connect(recalc_settings.clickhouse)
    prepare(db)
    route = recalc_route(db, [ConversationCounts()], SECRET, "HS256")
    config = uvicorn.Config(
        Starlette(routes=[route]), port=recalc_settings.api.port, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield db
    finally:
        server.should_exit = True
        thread.join(10)
        db.close()


@pytest.mark.clickhouse
def test_recalc_asks_the_process_that_holds_the_directory(
    recalc_settings: Settings, holding_api: ClickHouse, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the directory held, the same requests run in the holder and give the same results."""
    check_repair(recalc_settings, capsys, lambda: stored(holding_api))
    assert recalc(recalc_settings, "--family", "demo") == 0
    assert "is in use; asking the serving process" in capsys.readouterr().err


@pytest.mark.clickhouse
def test_a_wrong_secret_is_refused_by_the_holder(
    recalc_settings: Settings, holding_api: ClickHouse, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token signed with another secret is refused (401): the command fails, writes nothing."""
    wrong = replace(recalc_settings, api=replace(recalc_settings.api, jwt_secret="other" * 8))
    with pytest.raises(RecalcError, match=r"refused the recalculation \(401\)"):
        recalc(wrong)
    assert stored(holding_api) == [("acme", "c1", 2, ms("2026-11-01T10:00:00Z"))]


@pytest.mark.slow
@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.clickhouse
def test_recalc_runs_inside_a_real_pulse_serve(
    recalc_settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """While `pulse serve` holds chdb, `pulse recalc` is done by it over HTTP with the
    registered families; a bad family is still exit 2 and a wrong secret exit 1."""
    settings = recalc_settings
    env = {
        **os.environ,
        "PULSE_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PULSE_KAFKA_TOPIC_PREFIX": settings.kafka.topic_prefix,
        "PULSE_CLICKHOUSE_URL": settings.clickhouse.url,
        "PULSE_SINK_GROUP_ID": settings.sink.group_id,
        "PULSE_API_PORT": str(settings.api.port),
        "PULSE_API_JWT_SECRET": SECRET,
        "PULSE_REDIS_URL": redis_url,
    }
    create_topics(settings, "rows", "tenants")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        serve = subprocess.Popen(
            [sys.executable, "-m", "pulse", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
        )

    def pulse(*argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pulse", "recalc", *argv]
        return subprocess.run(
            command, cwd=ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=120
        )

    try:
        wait_for_health(f"http://127.0.0.1:{settings.api.port}/health", serve, log_path)
        done = pulse("--verify", "--json")
        assert done.returncode == 0, done.stderr
        assert "is in use; asking the serving process" in done.stderr
        document = json.loads(done.stdout)
        assert [f["family"] for f in document["families"]] == [d.name for d in DERIVATIONS]
        assert all(f["keys"] == 0 for f in document["families"])
        assert pulse("--tenant", "acme").returncode == 0
        bad = pulse("--family", "no-such-family")
        assert (bad.returncode, "Traceback" in bad.stderr) == (2, False)
        refused = pulse(PULSE_API_JWT_SECRET="other" * 8)
        assert refused.returncode == 1 and "(401)" in refused.stderr, refused.stderr
        assert "recalc started" in log_path.read_text(errors="replace")
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0, log_path.read_text(errors="replace")
    finally:
        if serve.poll() is None:
            serve.kill()
