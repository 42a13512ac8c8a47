"""``pulse recalc`` over the registered families: raw events stored without their derived rows
(as after a restore, or a lost refresh) are found by ``--verify`` and repaired by the command."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from pulse.recalc_cli import add_arguments, run
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.families.events import created, event, insert_raw, reply

pytestmark = pytest.mark.clickhouse

RAW = [
    created("c1", "2026-11-01T10:00:00Z", priority="high"),
    reply("c1", "2026-11-01T10:20:00Z"),
    event("conversation.resolved", "c1", "2026-11-01T11:00:00Z"),
    event("message.sent", "", "2026-11-01T10:01:00Z"),
    event("message.delivered", "", "2026-11-01T10:02:00Z"),
    created("g1", "2026-11-02T08:00:00Z", tenant="globex"),
]


def recalc(settings: Settings, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    """The exit code and the --json document of one run."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    code = run(parser.parse_args([*argv, "--json", "--quiet"]), settings)
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def figures(db: ClickHouse) -> dict[str, Any]:
    """What the derived tables hold, counted without the families' code."""
    slots = db.query(
        "SELECT toInt64(sum(sent)) AS sent, toInt64(sum(delivered)) AS delivered "
        "FROM messaging_slots FINAL WHERE tenant_id = 'acme'"
    )[0]
    moments = db.query("SELECT toInt64(count()) AS n FROM helpdesk_moments FINAL")[0]
    return {"sent": slots["sent"], "delivered": slots["delivered"], "moments": moments["n"]}


def read(settings: Settings) -> dict[str, Any]:
    client = connect(settings.clickhouse)
    try:
        return figures(client)
    finally:
        client.close()


def test_verify_finds_missing_derived_rows_and_recalc_repairs_them(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every family lists what is missing, writes nothing on --verify, and a run repairs it all."""
    db = connect(settings.clickhouse)
    try:
        Migrator(db, db.database).up()
        insert_raw(db, RAW)
    finally:
        db.close()

    code, document = recalc(settings, capsys, "--verify")
    assert code == 1
    assert {d["family"] for d in document["differences"]} == {"helpdesk_moments", "messaging"}
    assert read(settings) == {"sent": 0, "delivered": 0, "moments": 0}

    assert recalc(settings, capsys, "--tenant", "acme")[0] == 0
    # acme only: its two message.sent (one is the agent reply), c1 created and resolved
    assert read(settings) == {"sent": 2, "delivered": 1, "moments": 2}
    assert recalc(settings, capsys)[0] == 0
    assert recalc(settings, capsys)[0] == 0
    assert read(settings) == {"sent": 2, "delivered": 1, "moments": 3}
    assert recalc(settings, capsys, "--verify")[0] == 0
