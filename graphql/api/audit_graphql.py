"""``auditLog``: the tenant's audit records, newest first, for ``analytics.manage`` tokens that are
not confined to org units (the log is tenant-wide: who asked what, in every unit)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON
from strawberry.types import Info

from pulse.families.questions import TenantId
from pulse.graphql.arguments import window_ms
from pulse.graphql.audit import TABLE
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.permissions import CanManageTenant

MAX_ENTRIES = 1000

_SQL = f"""
SELECT toInt64(toUnixTimestamp64Milli(at)) AS at_ms, subject, roles, org_units, operation_type,
       operation_name, fields, arguments, variables, toInt64(rows) AS rows,
       toInt64(duration_ms) AS duration_ms, toString(outcome) AS outcome
FROM {TABLE}
WHERE tenant_id = {{tenant_id:String}}
  AND at >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC')
  AND at < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')
  {{filters}}
ORDER BY at DESC
LIMIT {{limit:UInt32}}
"""
_SUBJECT = " AND subject = {subject:String}"
# An operation is named by its operation name or by one of its root fields.
_OPERATION = " AND (operation_name = {operation:String} OR has(fields, {operation:String}))"


@strawberry.type(description="One audited GraphQL operation.")
class AuditEntry:
    at: datetime
    subject: str = strawberry.field(description="The token's 'sub'; empty if it had none.")
    roles: list[str]
    org_units: list[str] = strawberry.field(description="The token's org units; empty: all.")
    operation_type: str = strawberry.field(description="query or mutation.")
    operation_name: str
    fields: list[str] = strawberry.field(description="The root fields asked for.")
    arguments: JSON = strawberry.field(description="Each root field's arguments as written.")
    variables: JSON
    rows: int = strawberry.field(description="List items in the answer, at any depth.")
    duration_ms: int
    outcome: str = strawberry.field(description="ok, or the first error's code.")


def _entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        at=datetime.fromtimestamp(int(row["at_ms"]) / 1000, UTC),
        subject=str(row["subject"]),
        roles=[str(r) for r in row["roles"]],
        org_units=[str(u) for u in row["org_units"]],
        operation_type=str(row["operation_type"]),
        operation_name=str(row["operation_name"]),
        fields=[str(f) for f in row["fields"]],
        arguments=json.loads(row["arguments"]),
        variables=json.loads(row["variables"]),
        rows=int(row["rows"]),
        duration_ms=int(row["duration_ms"]),
        outcome=str(row["outcome"]),
    )


async def audit_log(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    subject: Annotated[str | None, strawberry.argument(description="Only this 'sub'.")] = None,
    operation: Annotated[
        str | None,
        strawberry.argument(description="Only operations of this name or root field."),
    ] = None,
    limit: Annotated[
        int, strawberry.argument(description=f"At most this many (1 to {MAX_ENTRIES}).")
    ] = 100,
    tenant_id: TenantId = None,
) -> list[AuditEntry]:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    if not 1 <= limit <= MAX_ENTRIES:
        raise InvalidArgumentError(
            f"'limit' must be between 1 and {MAX_ENTRIES}.",
            suggestion="Narrow [from, to) to page through older entries.",
            argument="limit",
        )
    params: dict[str, Any] = {"tenant_id": tenant, "from_ms": from_ms, "to_ms": to_ms}
    params["limit"] = limit
    filters = ""
    if subject is not None:
        filters += _SUBJECT
        params["subject"] = subject
    if operation is not None:
        filters += _OPERATION
        params["operation"] = operation
    sql = _SQL.replace("{filters}", filters)
    rows = await run_in_threadpool(info.context.services.clickhouse.query, sql, params)
    return [_entry(row) for row in rows]


@strawberry.type
class AuditQueries:
    audit_log: list[AuditEntry] = strawberry.field(
        resolver=audit_log,
        permission_classes=[CanManageTenant],
        description=(
            "The tenant's audited operations starting in [from, to), newest first"
            " (analytics.manage, not confined to org units)."
        ),
    )
