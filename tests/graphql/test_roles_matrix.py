"""Roles by every root field: which tokens each field refuses (FORBIDDEN) and which it serves,
checked over the schema's own list of fields so a new field cannot escape the matrix."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.audit import AuditRecord
from pulse.graphql.permissions import CanManage, CanView, _Role
from pulse.graphql.schema import build_schema
from pulse.settings import Settings
from tests.graphql.conftest import MemoryStore, graphql, kafka_up
from tests.graphql.roles_paths import fields, operation, role_token, takes

VIEW, MANAGE = "analytics.view", "analytics.manage"
# The fields that narrow to a confined token's org units; every other read refuses it.
NARROWED = {
    "messagingMetrics",
    "messagingBreakdown",
    "helpdeskMetrics",
    "helpdeskBreakdown",
    "unansweredConversations",
    "trafficMetrics",
    "eventRows",
    "conversationRows",
}
MANAGEMENT_READS = {"auditLog"}
# Reads of objects filed under org units, which a confined token reads filtered to its own.
SCOPED_OBJECTS = {"alertRules", "alertHistory", "dashboards", "dashboard"}
PATHS = [("query", f) for f in fields("query")] + [("mutation", f) for f in fields("mutation")]


class EmptyReads:
    """A ClickHouse with no rows: permitted fields answer, refused ones never read."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return []

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return pa.table({})


class Audits(list[AuditRecord]):
    def record(self, entry: AuditRecord) -> None:
        self.append(entry)


@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, Audits]]:
    audits = Audits()
    app = create_app(settings, EmptyReads(), MemoryStore(), kafka_up, audit=audits)
    with TestClient(app) as client:
        yield client, audits


def refused(kind: str, field: str, roles: set[str], confined: bool) -> bool:
    """What the rules of issue 11 say: mutations and the audit log need manage, other reads
    view; a confined token reads only the narrowed fields, the alert rules and history, and the
    dashboards it may see."""
    needed = MANAGE if kind == "mutation" or field in MANAGEMENT_READS else VIEW
    if needed not in roles:
        return True
    if confined:
        return kind == "query" and field not in NARROWED | SCOPED_OBJECTS
    return False


def code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return str(errors[0]["extensions"].get("code")) if errors else None


TOKENS = {
    "no roles claim": (None, None),
    "no roles": ([], None),
    "view": ([VIEW], None),
    "manage": ([MANAGE], None),
    "view+manage": ([VIEW, MANAGE], None),
    "view+manage in north": ([VIEW, MANAGE], ["north"]),
}


@pytest.mark.parametrize("name", list(TOKENS))
def test_every_field_refuses_exactly_the_tokens_it_should(
    api: tuple[TestClient, Audits], settings: Settings, name: str
) -> None:
    """Each token is FORBIDDEN on the fields its roles and scope exclude, and only there."""
    client, _ = api
    roles, units = TOKENS[name]
    granted = {VIEW, MANAGE} if roles is None else set(roles)
    bearer = role_token(settings, roles, units)
    wrong = []
    for kind, field in PATHS:
        got = code(graphql(client, operation(kind, field), bearer=bearer))
        if (got == "FORBIDDEN") != refused(kind, field, granted, units is not None):
            wrong.append((field, got))
    assert wrong == []


@pytest.mark.parametrize("units", [None, ["north"]])
def test_an_embed_token_runs_its_dashboard_only(
    api: tuple[TestClient, Audits], settings: Settings, units: list[str] | None
) -> None:
    """An embed token for r1 is FORBIDDEN on every root field but dashboard(id: "r1")."""
    client, _ = api
    bearer = role_token(settings, [VIEW, MANAGE], units, dashboard="r1")
    served = []
    for kind, field in PATHS:
        if code(graphql(client, operation(kind, field), bearer=bearer)) != "FORBIDDEN":
            served.append((kind, field))
    assert served == [("query", "dashboard")]
    other = graphql(client, 'query { dashboard(id: "r2") { __typename } }', bearer=bearer)
    assert code(other) == "FORBIDDEN"


def test_no_field_reads_another_tenant(api: tuple[TestClient, Audits], settings: Settings) -> None:
    """Every field taking tenantId refuses another tenant's, whatever the token's roles."""
    client, _ = api
    bearer = role_token(settings, None)
    for kind, field in PATHS:
        if takes(kind, field, "tenantId"):
            body = graphql(client, operation(kind, field, 'tenantId: "globex"'), bearer=bearer)
            assert code(body) == "FORBIDDEN", field


def test_a_confined_token_cannot_name_another_org_unit(
    api: tuple[TestClient, Audits], settings: Settings
) -> None:
    """On every field taking orgUnit, a unit outside the token's is FORBIDDEN, its own is not."""
    client, _ = api
    bearer = role_token(settings, [VIEW], ["north", "west"])
    narrowed = [(k, f) for k, f in PATHS if takes(k, f, "orgUnit")]
    assert {f for _, f in narrowed} == NARROWED
    for kind, field in narrowed:
        other = graphql(client, operation(kind, field, 'orgUnit: "south"'), bearer=bearer)
        own = graphql(client, operation(kind, field, 'orgUnit: "west"'), bearer=bearer)
        assert (code(other), code(own)) == ("FORBIDDEN", None), field


def test_every_root_field_carries_a_role_check() -> None:
    """Every query and subscription field has a view or manage check, every mutation CanManage."""
    schema = build_schema()
    roots = (
        ("query", schema.query),
        ("mutation", schema.mutation),
        ("subscription", schema.subscription),
    )
    for kind, root in roots:
        definition = root.__strawberry_definition__  # type: ignore[union-attr]
        for field in definition.fields:
            classes = field.permission_classes
            assert any(issubclass(c, _Role) for c in classes), field.name
            if kind == "mutation":
                assert CanManage in classes, field.name
            else:
                assert any(issubclass(c, CanView) or c.role == MANAGE for c in classes)


def test_refusals_are_audited_with_their_code(
    api: tuple[TestClient, Audits], settings: Settings
) -> None:
    """A refused mutation still leaves an audit record: who, what, and outcome forbidden."""
    client, audits = api
    bearer = role_token(settings, [VIEW], subject="ana")
    graphql(client, operation("mutation", "pauseAlertRule"), bearer=bearer)
    (entry,) = audits
    assert (entry.tenant_id, entry.subject, entry.roles) == ("acme", "ana", [VIEW])
    assert (entry.operation_type, entry.fields, entry.outcome) == (
        "mutation",
        ["pauseAlertRule"],
        "forbidden",
    )
    assert entry.arguments == '{"pauseAlertRule": {"id": "\\"r1\\""}}'
