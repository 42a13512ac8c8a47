"""``/export``: CSV and Parquet of a drill-down, read back with the csv module and pyarrow, equal
to the GraphQL field's rows; refused and audited like GraphQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pyarrow.parquet as pq
import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.audit import AuditRecord
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from tests.graphql.conftest import H0, MemoryStore, graphql, kafka_up, messages, raw, store_raw
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.clickhouse]

VIEW = ["analytics.view"]
RANGE = {"from": "2025-03-10T00:00:00Z", "to": "2025-03-11T00:00:00Z"}
EVENT_FIELDS = (
    "eventId eventType occurredAt channel direction senderType conversationId contactId agentId"
    " orgUnit campaignId priority score name visitorId url"
)
EVENTS = (
    'query($after: String, $u: String) { eventRows(from: "2025-03-10T00:00:00Z",'
    ' to: "2025-03-11T00:00:00Z", first: 4, after: $after, orgUnit: $u)'
    " { rows { " + EVENT_FIELDS + " } cursor hasMore } }"
)


def stored() -> list[dict[str, Any]]:
    found = messages("sent", 7, H0, "email", org_unit="north")
    found += messages("received", 5, H0, "sms", org_unit="south", contact_id="k1")
    found += messages("sent", 3, H0, "email", "globex", org_unit="north")
    found.append(raw("conversation.created", H0, "email", org_unit="north", conversation_id="c1"))
    return found


class Audits(list[AuditRecord]):
    def record(self, entry: AuditRecord) -> None:
        self.append(entry)


@pytest.fixture
def audits() -> Audits:
    return Audits()


@pytest.fixture
def client(settings: Settings, audits: Audits) -> Iterator[TestClient]:
    db: ClickHouse = connect(settings.clickhouse)
    limited = replace(settings, api=replace(settings.api, export_row_limit=10))
    try:
        Migrator(db, settings.clickhouse.database).up()
        store_raw(db, stored())
        app = create_app(limited, db, MemoryStore(), kafka_up, audit=audits)
        with TestClient(app) as test_client:
            yield test_client
    finally:
        db.close()


def graphql_events(
    client: TestClient, bearer: str, unit: str | None = None
) -> list[dict[str, Any]]:
    """Every page of eventRows, each row in the export's shape (snake case, instants in ms)."""
    found, after = [], None
    while True:
        page = graphql(client, EVENTS, {"after": after, "u": unit}, bearer=bearer)["data"]
        page = page["eventRows"]
        for row in page["rows"]:
            at = datetime.fromisoformat(row.pop("occurredAt"))
            shaped = {
                "".join(f"_{c.lower()}" if c.isupper() else c for c in k): v for k, v in row.items()
            }
            shaped["occurred_at_ms"] = int(at.timestamp() * 1000)
            found.append(shaped)
        if not page["hasMore"]:
            return found
        after = page["cursor"]


def export(client: TestClient, bearer: str, fmt: str, **arguments: Any) -> Any:
    body = {"kind": "events", "format": fmt, "arguments": {**RANGE, **arguments}}
    return client.post("/export", json=body, headers={"Authorization": f"Bearer {bearer}"})


def test_parquet_and_csv_equal_the_graphql_rows(client: TestClient, settings: Settings) -> None:
    """A confined token's export holds exactly its eventRows, in order, in both formats."""
    bearer = role_token(settings, VIEW, ["south"])
    expected = graphql_events(client, bearer)
    assert len(expected) == 5
    parquet = export(client, bearer, "parquet")
    assert parquet.status_code == 200
    table = pq.read_table(io.BytesIO(parquet.content))
    assert [{k: r[k] for k in expected[0]} for r in table.to_pylist()] == expected
    text = export(client, bearer, "csv").text
    read = list(csv.DictReader(io.StringIO(text)))
    as_text = [{k: "" if v is None else str(v) for k, v in r.items()} for r in expected]
    assert [{k: r[k] for k in expected[0]} for r in read] == as_text


def test_an_export_stops_at_the_row_limit_and_is_audited(
    client: TestClient, settings: Settings, audits: Audits
) -> None:
    """13 acme events, a limit of 10: the first 10 in order, audited with outcome row_limit."""
    bearer = role_token(settings, VIEW, subject="ana")
    expected = graphql_events(client, bearer)[:10]
    audits.clear()
    response = export(client, bearer, "parquet")
    assert response.headers["x-pulse-row-limit"] == "10"
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column("event_id").to_pylist() == [r["event_id"] for r in expected]
    (entry,) = audits
    assert (entry.tenant_id, entry.subject, entry.operation_type, entry.fields) == (
        "acme",
        "ana",
        "export",
        ["events"],
    )
    assert (entry.rows, entry.outcome, entry.operation_name) == (10, "row_limit", "parquet")
    assert '"from": "2025-03-10T00:00:00Z"' in entry.arguments


def test_exports_are_refused_like_the_field(client: TestClient, settings: Settings) -> None:
    """No token: 401; another tenant or org unit: 403; sessions to a confined token: 403."""
    assert client.post("/export", json={"kind": "events", "arguments": RANGE}).status_code == 401
    bearer = role_token(settings, VIEW, ["south"])
    assert export(client, bearer, "csv", orgUnit="north").status_code == 403
    assert export(client, bearer, "csv", tenantId="globex").status_code == 403
    sessions = {"kind": "sessions", "arguments": RANGE}
    headers = {"Authorization": f"Bearer {bearer}"}
    assert client.post("/export", json=sessions, headers=headers).status_code == 403
    refused = export(client, role_token(settings, VIEW), "xlsx")
    assert refused.status_code == 400
    assert refused.json()["extensions"]["code"] == "INVALID_ARGUMENT"


def test_a_get_export_reads_its_arguments_from_the_query_string(
    client: TestClient, settings: Settings
) -> None:
    """GET /export?kind=…&format=csv&arguments=<json> answers as the POST does."""
    bearer = role_token(settings, VIEW, ["south"])
    response = client.get(
        "/export",
        params={
            "kind": "events",
            "format": "csv",
            "arguments": '{"from": "2025-03-10T00:00:00Z", "to": "2025-03-11T00:00:00Z"}',
        },
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert response.text == export(client, bearer, "csv").text
