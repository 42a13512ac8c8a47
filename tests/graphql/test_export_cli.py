"""``pulse export`` against a running API: the file it writes is the API's export, with a
progress line on stderr; a refusal is an exit code 1 and a message."""

from __future__ import annotations

import argparse
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import uvicorn

from pulse.graphql import export_cli
from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from tests.graphql.conftest import H0, MemoryStore, kafka_up, messages, store_raw
from tests.graphql.roles_paths import role_token
from tests.graphql.test_serve_cli import free_port

pytestmark = pytest.mark.clickhouse


@pytest.fixture
def served(settings: Settings) -> Iterator[Settings]:
    """The API on a free port over a chdb holding 12 acme events (7 north, 5 south)."""
    settings = replace(settings, api=replace(settings.api, port=free_port()))
    db = connect(settings.clickhouse)
    Migrator(db, settings.clickhouse.database).up()
    rows = messages("sent", 7, H0, "email", org_unit="north")
    store_raw(db, rows + messages("sent", 5, H0, "sms", org_unit="south"))
    app = create_app(settings, db, MemoryStore(), kafka_up)
    server = uvicorn.Server(
        uvicorn.Config(app, port=settings.api.port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield settings
    finally:
        server.should_exit = True
        thread.join(10)
        db.close()


def command(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    export_cli.add_arguments(parser)
    return export_cli.run(parser.parse_args(list(argv)), settings)


RANGE = ("--from", "2025-03-10T00:00:00Z", "--to", "2025-03-11T00:00:00Z")


def test_the_file_is_the_tokens_rows(
    served: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A north token's Parquet export holds north's 7 events; stderr shows the progress."""
    token = role_token(served, ["analytics.view"], ["north"])
    out = tmp_path / "events.parquet"
    argv = ("events", *RANGE, "--format", "parquet", "-o", str(out), "--token", token)
    assert command(served, *argv, "--arg", "channel=email") == 0
    table = pq.read_table(io.BytesIO(out.read_bytes()))
    assert set(table.column("org_unit").to_pylist()) == {"north"}
    assert table.num_rows == 7
    assert "MB/s" in capsys.readouterr().err


def test_a_refusal_exits_1_with_the_reason(
    served: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another org unit than the token's: exit 1, the API's message on stderr, no file."""
    token = role_token(served, ["analytics.view"], ["north"])
    out = tmp_path / "events.csv"
    argv = ("events", *RANGE, "-o", str(out), "--token", token, "--arg", "orgUnit=south")
    assert command(served, *argv) == 1
    assert "refused (403)" in capsys.readouterr().err
    assert not out.exists()


def test_a_metric_query_exports_its_buckets(served: Settings, tmp_path: Path) -> None:
    """`pulse export query --query …` writes the answer's buckets, the range as $from/$to."""
    token = role_token(served, ["analytics.view"])
    out = tmp_path / "sent.parquet"
    query = tmp_path / "sent.graphql"
    query.write_text(
        "query($from: DateTime!, $to: DateTime!, $channel: String) { messagingMetrics("
        "from: $from, to: $to, granularity: HOUR, channel: $channel) { buckets { start sent } } }"
    )
    argv = ("query", "--query", f"@{query}", *RANGE, "--format", "parquet", "-o", str(out))
    assert command(served, *argv, "--token", token, "--arg", "channel=sms") == 0
    table = pq.read_table(io.BytesIO(out.read_bytes()))
    assert table.column_names == ["start", "sent"]
    assert (table.num_rows, sum(table.column("sent").to_pylist())) == (24, 5)


def test_a_missing_query_file_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    """`--query @missing.graphql` exits with a message naming the file, no traceback, no file."""
    missing, out = tmp_path / "missing.graphql", tmp_path / "out.csv"
    argv = ["query", "--query", f"@{missing}", "-o", str(out), "--token", "t"]
    with pytest.raises(SystemExit) as caught:
        command(settings, *argv)
    assert str(caught.value) == f"pulse export query: cannot read --query @{missing}: " + (
        "No such file or directory"
    )
    assert not out.exists()
