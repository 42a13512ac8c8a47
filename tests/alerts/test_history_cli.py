"""`pulse alerts history` on an embedded ClickHouse: newest first, by rule and since an instant,
as text or JSON with the rule as it was and the delivery attempts; asked through the process
that holds the directory."""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from pulse.alerts import history_cli
from pulse.alerts.errors import AlertError
from pulse.alerts.history_route import PATH, SCOPE, history_route
from pulse.graphql.admin_auth import issue_admin_token
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from tests.alerts.history_rows import insert_history
from tests.alerts.test_history_graphql import (
    ATTEMPTS,
    B_FIRED,
    E1_CLEARED,
    E1_FIRED,
    E2_FIRED,
    G_FIRED,
    T0,
    iso,
)
from tests.e2e.harness import pulse
from tests.graphql.test_serve_cli import free_port

pytestmark = pytest.mark.clickhouse


@pytest.fixture
def stored(settings: Settings) -> Settings:
    """The settings' chdb holding the history of the GraphQL tests, closed again."""
    db = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        insert_history(db, [E1_FIRED, E1_CLEARED, E2_FIRED, B_FIRED, G_FIRED], ATTEMPTS)
    finally:
        db.close()
    return settings


def test_history_as_json_and_text(stored: Settings) -> None:
    """JSON lines carry every field, the rule record and the attempts; text lines start with
    the instant, kind and episode status; --rule and --since narrow the listing."""
    done = pulse(stored, "alerts", "history", "acme", "--json")
    entries = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["notification_id"] for e in entries] == ["msg_e2t", "msg_e1r", "msg_b1t", "msg_e1t"]
    fired = entries[3]
    assert fired["rule"]["name"] == "breaches, as they were" and fired["value"] == 7.0
    assert fired["status"] == "resolved" and fired["published"] is True
    assert [(d["destination_id"], d["attempt"]) for d in fired["deliveries"]] == [
        ("dst_1", 1),
        ("dst_2", 1),
        ("dst_1", 2),
    ]
    since = iso(T0 + 5 * 60_000)
    narrowed = pulse(stored, "alerts", "history", "acme", "--rule", "rul_a", "--since", since)
    lines = [line.split("\t") for line in narrowed.stdout.splitlines()]
    assert [line[7] for line in lines] == ["msg_e2t", "msg_e1r"]
    assert lines[0][:4] == [
        iso(T0 + 30 * 60_000).replace("+00:00", ".000+00:00"),
        "triggered",
        "firing",
        "rul_a",
    ]
    text = pulse(stored, "alerts", "history", "acme", "--rule", "rul_a").stdout.splitlines()
    assert text[-1].split("\t")[8] == "dst_1:delivered/2,dst_2:delivered/1"


@pytest.fixture
def served(stored: Settings) -> Iterator[Settings]:
    """This process holds the chdb directory and serves the history route over it, as
    ``pulse serve`` does."""
    settings = replace(
        stored, api=replace(stored.api, port=free_port(), jwt_secret="test-secret-" + "x" * 32)
    )
    db = connect(settings.clickhouse)
    route = history_route(db, settings.api.jwt_secret, settings.api.jwt_algorithm)
    config = uvicorn.Config(
        Starlette(routes=[route]), port=settings.api.port, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
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
    history_cli.add_arguments(parser)
    return history_cli.run(parser.parse_args(list(argv)), settings)


def test_a_held_embedded_clickhouse_is_asked_through_the_holder(
    served: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """With chdb held by another process the command asks its admin route and prints what it
    prints in place."""
    assert command(served, "acme", "--json") == 0
    out, err = capsys.readouterr()
    assert "is in use; asking the serving process" in err
    remote = [json.loads(line) for line in out.splitlines()]
    assert [e["notification_id"] for e in remote] == ["msg_e2t", "msg_e1r", "msg_b1t", "msg_e1t"]
    assert remote[3]["rule"]["name"] == "breaches, as they were"
    assert len(remote[3]["deliveries"]) == 3
    assert command(served, "acme", "--rule", "rul_b") == 0
    assert capsys.readouterr().out.split("\t")[7] == "msg_b1t"


def test_the_holder_refuses_a_wrong_secret(served: Settings) -> None:
    """A token signed with another secret is refused (401): the command exits with an error."""
    wrong = replace(served, api=replace(served.api, jwt_secret="another-secret-" + "y" * 32))
    with pytest.raises(AlertError, match="refused the request \\(401\\)"):
        command(wrong, "acme")


def test_the_route_wants_the_alerts_scope(served: Settings) -> None:
    """A valid admin token of another scope is forbidden; a bad body is a 400."""
    api = served.api
    url = f"http://127.0.0.1:{api.port}{PATH}"
    other = issue_admin_token("admin:privacy", api.jwt_secret, 60, api.jwt_algorithm)
    body = {"tenant_id": "acme"}
    forbidden = httpx.post(url, json=body, headers={"Authorization": f"Bearer {other}"})
    assert forbidden.status_code == 403
    mine = issue_admin_token(SCOPE, api.jwt_secret, 60, api.jwt_algorithm)
    bad = httpx.post(url, json={"limit": 5}, headers={"Authorization": f"Bearer {mine}"})
    assert bad.status_code == 400
