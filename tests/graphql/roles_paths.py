"""Every root field of the API as a minimal operation, for the roles by paths matrix."""

from __future__ import annotations

import time
from typing import Any

import jwt
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    Undefined,
    get_named_type,
)

from pulse.graphql.schema import build_schema
from pulse.settings import Settings

FROM, TO = '"2025-03-10T00:00:00Z"', '"2025-03-11T00:00:00Z"'
_RULE = (
    '{name: "n", type: SLA_BREACH_RATE, metric: "sla_breached", window: "15m",'
    ' condition: {op: ABOVE, value: 5}, destinations: ["d1"], filter: {orgUnit: "north"}}'
)
_DASHBOARD = (
    '{name: "n", visibility: ORG_UNIT, orgUnit: "north",'
    ' widgets: [{id: "w", title: "t", kind: NUMBER, query: "{ __typename }"}]}'
)
_BY_NAME = {"from": FROM, "to": TO, "input": _RULE}
# Inputs that differ by field: a dashboard's, not a rule's.
_BY_FIELD = {"createDashboard": {"input": _DASHBOARD}, "updateDashboard": {"input": _DASHBOARD}}
_BY_TYPE = {
    "DateTime": FROM,
    "Granularity": "DAY",
    "ID": '"r1"',
    "String": '"x"',
    "Int": "1",
    "WebDimension": "PAGE",
    "MessagingDimension": "CHANNEL",
    "HelpdeskDimension": "AGENT",
    "OutreachDimension": "CAMPAIGN",
    "WorkflowDimension": "WORKFLOW",
    "SequenceDimension": "STEP",
    "AutomationDimension": "FLOW",
}


def core_schema() -> GraphQLSchema:
    return build_schema()._schema


def operation(kind: str, field: str, extra: str = "") -> str:
    """``field`` with its required arguments (and ``extra`` ones), selecting ``__typename``."""
    schema = core_schema()
    root = schema.query_type if kind == "query" else schema.mutation_type
    assert root is not None
    arguments = []
    for name, argument in root.fields[field].args.items():
        if isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined:
            inner = argument.type.of_type
            given = {**_BY_NAME, **_BY_FIELD.get(field, {})}
            if name in given:
                arguments.append(f"{name}: {given[name]}")
            elif isinstance(inner, GraphQLList):
                # A list of one value (a breakdown's dimensions).
                arguments.append(f"{name}: [{_BY_TYPE[get_named_type(inner).name]}]")
            else:
                assert not isinstance(inner, GraphQLInputObjectType), (field, name)
                arguments.append(f"{name}: {_BY_TYPE[inner.name]}")
    if extra:
        arguments.append(extra)
    given = f"({', '.join(arguments)})" if arguments else ""
    return f"{kind} {{ {field}{given} {{ __typename }} }}"


def fields(kind: str) -> list[str]:
    schema = core_schema()
    root = schema.query_type if kind == "query" else schema.mutation_type
    assert root is not None
    return sorted(root.fields)


def takes(kind: str, field: str, argument: str) -> bool:
    schema = core_schema()
    root = schema.query_type if kind == "query" else schema.mutation_type
    assert root is not None
    return argument in root.fields[field].args


def role_token(
    settings: Settings,
    roles: list[str] | None,
    org_units: list[str] | None = None,
    tenant: str = "acme",
    subject: str = "",
    dashboard: str | None = None,
) -> str:
    """A token with exactly these claims (no ``roles`` claim when None)."""
    claims: dict[str, Any] = {"tenant_id": tenant, "exp": int(time.time()) + 3600}
    if roles is not None:
        claims["roles"] = roles
    if org_units is not None:
        claims["org_units"] = org_units
    if subject:
        claims["sub"] = subject
    if dashboard is not None:
        claims["dashboard"] = dashboard
    return jwt.encode(claims, settings.api.jwt_secret, algorithm="HS256")
