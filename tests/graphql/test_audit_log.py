"""Every operation lands in ClickHouse's audit_log through the batching writer, and auditLog
reads it back for the token's tenant and for analytics.manage tokens only."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.audit import AuditLog, AuditRecord
from pulse.metrics import AUDIT_RECORDS
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.errors import ClickHouseError
from pulse.sinks.migrator import Migrator
from tests.graphql.conftest import H0, MemoryStore, graphql, kafka_up, messages, store_raw
from tests.graphql.live_client import PROTOCOL, init, receive, subscribe
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.clickhouse]

METRICS = """query Sent { messagingMetrics(from: "2025-03-10T00:00:00Z",
  to: "2025-03-11T00:00:00Z", granularity: HOUR, orgUnit: $u) { buckets { sent } } }"""
METRICS = METRICS.replace("query Sent {", "query Sent($u: String) {")
MUTATION = 'mutation Pause { pauseAlertRule(id: "r1") { id } }'
LOG = """query($s: String, $o: String, $t: String) { auditLog(from: "2000-01-01T00:00:00Z",
  to: "2100-01-01T00:00:00Z", subject: $s, operation: $o, tenantId: $t) {
  subject roles orgUnits operationType operationName fields arguments variables rows outcome
  durationMs } }"""


@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, AuditLog]]:
    db: ClickHouse = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        store_raw(db, messages("sent", 3, H0, "email", org_unit="north"))
        audit = AuditLog(db, settings.api)
        app = create_app(settings, db, MemoryStore(), kafka_up, audit=audit)
        with TestClient(app) as client:
            yield client, audit
        audit.close()
    finally:
        db.close()


def test_queries_and_mutations_are_recorded_and_read_back(
    api: tuple[TestClient, AuditLog], settings: Settings
) -> None:
    """A query and a refused mutation are in auditLog with who, what, filters, rows and outcome."""
    client, audit = api
    ana = role_token(settings, ["analytics.view"], ["north"], subject="ana")
    body = graphql(client, METRICS, {"u": "north"}, bearer=ana)
    assert len(body["data"]["messagingMetrics"]["buckets"]) == 24
    graphql(client, MUTATION, bearer=ana)
    audit.flush()
    boss = role_token(settings, None, subject="boss")
    entries = graphql(client, LOG, {"s": "ana"}, bearer=boss)["data"]["auditLog"]
    mutation, query = entries  # newest first
    assert {k: query[k] for k in ("subject", "roles", "orgUnits", "operationType")} == {
        "subject": "ana",
        "roles": ["analytics.view"],
        "orgUnits": ["north"],
        "operationType": "query",
    }
    assert (query["operationName"], query["fields"], query["rows"]) == (
        "Sent",
        ["messagingMetrics"],
        24,
    )
    assert query["arguments"]["messagingMetrics"]["orgUnit"] == "$u"
    assert (query["variables"], query["outcome"]) == ({"u": "north"}, "ok")
    assert query["durationMs"] >= 0
    assert (mutation["operationType"], mutation["fields"], mutation["outcome"]) == (
        "mutation",
        ["pauseAlertRule"],
        "forbidden",
    )
    only = graphql(client, LOG, {"o": "pauseAlertRule"}, bearer=boss)["data"]["auditLog"]
    assert [e["operationName"] for e in only] == ["Pause"]


def test_audit_log_is_for_the_tenants_unconfined_managers(
    api: tuple[TestClient, AuditLog], settings: Settings
) -> None:
    """Another tenant's records never show; view-only and confined tokens are FORBIDDEN."""
    client, audit = api
    graphql(client, METRICS, bearer=role_token(settings, None, tenant="globex", subject="g"))
    audit.flush()
    boss = role_token(settings, ["analytics.manage"])
    # Only the auditLog calls of acme itself (recorded after they ran) can show.
    assert graphql(client, LOG, bearer=boss)["data"]["auditLog"] == []
    other = graphql(client, LOG, {"t": "globex"}, bearer=boss)
    viewer = graphql(client, LOG, bearer=role_token(settings, ["analytics.view"]))
    confined = graphql(client, LOG, bearer=role_token(settings, None, ["north"]))
    for refused in (other, viewer, confined):
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class Failing:
    """A ClickHouse whose inserts fail, as a server that is down."""

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
        raise ClickHouseError("connection refused")


def entry() -> AuditRecord:
    return AuditRecord(0, "acme", "ana", [], [], "query", "", [], "{}", "{}", 0, 1, "ok")


def test_unwritable_records_are_counted_and_logged_not_waited_for(settings: Settings) -> None:
    """A full queue drops at once; a failing batch is retried, then counted lost and logged."""
    small = replace(settings.api, audit_queue_size=1, audit_attempts=2)
    audit = AuditLog(Failing(), small)
    lost = AUDIT_RECORDS.labels("queue_full")._value.get()
    failed = AUDIT_RECORDS.labels("insert_failed")._value.get()
    audit.record(entry())
    audit.record(entry())
    assert AUDIT_RECORDS.labels("queue_full")._value.get() == lost + 1
    audit.flush()
    assert AUDIT_RECORDS.labels("insert_failed")._value.get() == failed
    audit.flush()
    assert AUDIT_RECORDS.labels("insert_failed")._value.get() == failed + 1


def test_a_subscription_is_recorded_once_it_ends(
    api: tuple[TestClient, AuditLog], settings: Settings
) -> None:
    """A subscription is in auditLog under the subscriber's identity once it is completed."""
    client, audit = api
    ana = role_token(settings, ["analytics.view"], subject="ana")
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as socket:
        init(socket, ana)
        assert receive(socket)["type"] == "connection_ack"
        subscribe(socket, "subscription Live { realtimeMessaging { total { sent } } }")
        assert receive(socket)["type"] == "next"
        socket.send_json({"id": "1", "type": "complete"})
    boss = role_token(settings, None, subject="boss")
    # The server ends the operation as the socket closes, a moment after the client has left.
    deadline = time.monotonic() + 10
    while True:
        audit.flush()
        entries = graphql(client, LOG, {"s": "ana"}, bearer=boss)["data"]["auditLog"]
        if entries or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    (entry,) = entries
    assert (entry["operationType"], entry["operationName"], entry["fields"]) == (
        "subscription",
        "Live",
        ["realtimeMessaging"],
    )
    assert (entry["roles"], entry["outcome"]) == (["analytics.view"], "ok")
