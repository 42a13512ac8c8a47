"""``pulse privacy`` and ``pulse retention`` while another process holds the embedded
ClickHouse: the commands ask its admin routes, with the same results as run in place."""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from pulse.privacy import privacy_cli, retention_cli
from pulse.privacy.errors import PrivacyError
from pulse.privacy.routes import PrivacyServices, privacy_routes
from pulse.privacy.windows import RETENTION_KINDS, RetentionPolicy, Window
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.graphql.test_serve_cli import free_port
from tests.privacy.dataset import now_ms, store, tenant_events

pytestmark = pytest.mark.clickhouse

DAY = 86_400_000


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[Settings, ClickHouse]]:
    """This process holds the chdb directory and serves the privacy routes over it, as
    ``pulse serve`` does (raw retention 10 days); the Redis cache is left out."""
    settings = replace(settings, api=replace(settings.api, port=free_port()))
    db = connect(settings.clickhouse)
    Migrator(db, db.database).up()
    policy = RetentionPolicy(
        {**dict.fromkeys(RETENTION_KINDS, Window(90, "d")), "raw": Window(10, "d")}
    )
    routes = privacy_routes(PrivacyServices(settings, db, None, lambda: policy, time.time))
    config = uvicorn.Config(
        Starlette(routes=routes), port=settings.api.port, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield settings, db
    finally:
        server.should_exit = True
        thread.join(10)
        db.close()


def command(module: object, settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)  # type: ignore[attr-defined]
    code: int = module.run(parser.parse_args(list(argv)), settings)  # type: ignore[attr-defined]
    return code


def test_export_erase_and_log_go_through_the_holder(
    served: tuple[Settings, ClickHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Export, erase and log, with chdb held by another process, go through its admin routes."""
    settings, db = served
    tenant = f"acme-{uuid.uuid4().hex[:8]}"
    rows = tenant_events(tenant, now_ms())
    store(db, rows)
    out = tmp_path / "k2.jsonl"
    who = ["--tenant", tenant, "--contact", "k2"]
    assert command(privacy_cli, settings, "export", *who, "--out", str(out)) == 0
    assert "is in use; asking the serving process" in capsys.readouterr().err
    exported = {json.loads(line)["event_id"] for line in out.read_text().splitlines()}
    assert exported == {r["event_id"] for r in rows if r["contact_id"] == "k2"}
    assert command(privacy_cli, settings, "erase", *who, "--requested-by", "dpo") == 0
    # The serving thread's log lines share stdout here; the report is the command's last line.
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["events"] == len(exported)
    assert command(privacy_cli, settings, "log", "--tenant", tenant, "--json") == 0
    lines = capsys.readouterr().out.splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert sorted(e["action"] for e in logged) == ["erase", "export"]
    assert (
        command(
            privacy_cli,
            settings,
            "erase",
            "--tenant",
            "",
            "--contact",
            "k2",
            "--requested-by",
            "dpo",
        )
        == 2
    )


def test_retention_apply_goes_through_the_holder_and_a_dry_run_deletes_nothing(
    served: tuple[Settings, ClickHouse], capsys: pytest.CaptureFixture[str]
) -> None:
    """Retention through the holder: a dry run counts and keeps, the real run deletes that."""
    settings, db = served
    tenant = f"acme-{uuid.uuid4().hex[:8]}"
    old = [
        r | {"occurred_at": r["occurred_at"] - 11 * DAY}
        for r in tenant_events(tenant, now_ms())[:5]
    ]
    store(db, old)
    assert command(retention_cli, settings, "apply", "--dry-run") == 0
    assert "would delete 5\traw:events_raw:*" in capsys.readouterr().out
    assert len(db.query("SELECT event_id FROM events_raw")) == 5
    assert command(retention_cli, settings, "apply") == 0
    assert "deleted 5\traw:events_raw:*" in capsys.readouterr().out
    assert db.query("SELECT event_id FROM events_raw") == []


def test_a_wrong_secret_is_refused_by_the_holder(served: tuple[Settings, ClickHouse]) -> None:
    """A token signed with another secret is refused (401) and the command fails loudly."""
    settings, _ = served
    wrong = replace(settings, api=replace(settings.api, jwt_secret="other" * 8))
    with pytest.raises(PrivacyError, match=r"refused the request \(401\)"):
        command(privacy_cli, wrong, "log")
