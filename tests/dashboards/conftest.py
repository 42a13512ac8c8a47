"""Fixtures of the dashboard tests: the API over the test's chdb and ``dashboards`` topic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.dashboards.book import DashboardBook
from pulse.graphql.app import create_app
from pulse.graphql.audit import AuditRecord
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.admin import apply
from pulse.topics.cli import make_plan
from tests.graphql.conftest import MemoryStore, clickhouse, graphql, kafka_up, settings
from tests.graphql.roles_paths import role_token

VIEW, MANAGE = "analytics.view", "analytics.manage"
FIELDS = "id tenantId name visibility orgUnit createdBy filters"
FIELDS += " widgets { id title kind query variables range position { x y w h } }"
CREATE = f"mutation($input: DashboardInput!) {{ createDashboard(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: DashboardInput!) {{
  updateDashboard(id: $id, input: $input) {{ {FIELDS} }} }}"""
DELETE = "mutation($id: ID!) { deleteDashboard(id: $id) { id name } }"
LIST = "query { dashboards { id name } }"
ONE = f"query($id: ID!) {{ dashboard(id: $id) {{ {FIELDS} }} }}"


@pytest.fixture
def api(settings: Settings, kafka: str, clickhouse: ClickHouse) -> Iterator[TestClient]:
    """The API over the test's chdb (tests/graphql's known rows) and dashboards topic."""
    apply_topics(settings)
    book = DashboardBook.open(settings)
    try:
        app = create_app(settings, clickhouse, MemoryStore(), kafka_up, dashboards=book)
        with TestClient(app) as client:
            yield client
    finally:
        book.close()


def apply_topics(settings: Settings) -> None:
    plan, admin = make_plan(settings)
    apply(admin, plan)


class Recorder:
    """An audit sink keeping records in a list."""

    def __init__(self, records: list[AuditRecord]) -> None:
        self.records = records

    def record(self, entry: AuditRecord) -> None:
        self.records.append(entry)


class Caller:
    """One token's view of the API."""

    def __init__(self, client: TestClient, bearer: str) -> None:
        self.client = client
        self.bearer = bearer

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        return graphql(self.client, query, variables, bearer=self.bearer)


def caller(
    client: TestClient,
    settings: Settings,
    subject: str = "ana",
    roles: list[str] | None = None,
    org_units: list[str] | None = None,
    tenant: str = "acme",
) -> Caller:
    bearer = role_token(settings, roles or [VIEW, MANAGE], org_units, tenant, subject)
    return Caller(client, bearer)


def code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return str(errors[0].get("extensions", {}).get("code")) if errors else None


__all__ = ["clickhouse", "settings"]
