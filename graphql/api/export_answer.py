"""The rows of a metric answer, for ``/export``: a GraphQL query run as if sent to ``/graphql``
(the token's roles, scope and audit apply), its one root field's rows flattened to columns
(``export_columns.py``). Only a query operation runs: a mutation or subscription is refused
before anything executes, whether it came by GET or POST.

Totals and freshness are left out, since a file holds one table; instants are the answer's
ISO-8601 text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from strawberry import Schema
from strawberry.types.graphql import OperationType

from pulse.graphql.context import ApiContext
from pulse.graphql.errors import (
    ApiError,
    ForbiddenError,
    InvalidArgumentError,
    UnauthenticatedError,
)
from pulse.graphql.export_columns import Column, row_shape
from pulse.graphql.one_query import one_query

_REFUSALS: dict[str, type[ApiError]] = {
    "UNAUTHENTICATED": UnauthenticatedError,
    "FORBIDDEN": ForbiddenError,
}


@dataclass(frozen=True)
class AnswerRows:
    field: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    schema: pa.Schema


async def answer_rows(
    schema: Schema, context: ApiContext, query: str, variables: Mapping[str, Any]
) -> AnswerRows:
    """The rows of ``query``'s answer; its first error is raised as the API error it was. An
    embed token is refused whatever it asks: it shows its dashboard, and exports nothing."""
    dashboard = context.claims.dashboard
    if dashboard is not None:
        raise ForbiddenError(
            f"This token may show dashboard '{dashboard}' only; exports are outside it.",
            suggestion="Use a token not minted for embedding.",
            field="export",
        )
    document, operation = one_query(schema._schema, query, "query")
    shape = row_shape(schema._schema, document, operation)
    result = await schema.execute(
        query,
        variable_values=dict(variables),
        context_value=context,
        allowed_operation_types={OperationType.QUERY},
    )
    if result.errors:
        error = result.errors[0]
        code = str((error.extensions or {}).get("code", ""))
        refusal = _REFUSALS.get(code, InvalidArgumentError)
        raise refusal(
            f"The query was refused: {error.message}",
            suggestion="Send the query to /graphql to see its errors in full.",
            argument="query",
        )
    answer = (result.data or {}).get(shape.field)
    listed = answer if shape.rows_key is None else (answer or {}).get(shape.rows_key)
    rows = [{c.name: _cell(row, c) for c in shape.columns} for row in listed or ()]
    arrow = pa.schema([(c.name, c.kind) for c in shape.columns])
    return AnswerRows(shape.field, tuple(c.name for c in shape.columns), rows, arrow)


def _cell(row: Any, column: Column) -> Any:
    """The value at ``column``'s path in ``row`` (None past a null object), in the column's type."""
    value = row
    for key in column.path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return None
    if column.json or (column.kind == pa.string() and not isinstance(value, str)):
        return json.dumps(value)
    return value
