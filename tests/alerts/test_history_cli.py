"""`pulse alerts history` on an embedded ClickHouse: newest first, by rule and since an instant,
as text or JSON with the rule as it was and the delivery attempts; refused while held."""

from __future__ import annotations

import json

import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
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


def test_a_held_embedded_clickhouse_is_refused(stored: Settings) -> None:
    """While another process holds the chdb directory the command exits 1 and says what to do."""
    holder: ClickHouse = connect(stored.clickhouse)
    try:
        holder.query("SELECT 1")
        done = pulse(stored, "alerts", "history", "acme", check=False)
    finally:
        holder.close()
    assert done.returncode == 1
    assert "alertHistory" in done.stderr
