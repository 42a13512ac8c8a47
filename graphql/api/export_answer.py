"""The rows of a metric answer, for ``/export``: a GraphQL query run as if sent to ``/graphql``
(the token's roles, scope and audit apply), its one root field's rows flattened to columns.

The rows are the answer's ``buckets`` (a series), else its ``rows`` (a breakdown, a top list),
else the answer itself when it is a list (campaigns, rules); totals and freshness are left out,
since a file holds one table. A nested object's fields become columns named by their path
(``sla.met``), a list in a row one JSON text column; columns keep the query's own names and
order. Parquet types follow the values: bool, int64, float64 (a column mixing ints and floats),
else string (instants as the answer's ISO-8601 text).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from strawberry import Schema

from pulse.graphql.context import ApiContext
from pulse.graphql.errors import (
    ApiError,
    ForbiddenError,
    InvalidArgumentError,
    UnauthenticatedError,
)

ROW_LISTS = ("buckets", "rows")
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
    result = await schema.execute(query, variable_values=dict(variables), context_value=context)
    if result.errors:
        error = result.errors[0]
        code = str((error.extensions or {}).get("code", ""))
        refusal = _REFUSALS.get(code, InvalidArgumentError)
        raise refusal(
            f"The query was refused: {error.message}",
            suggestion="Send the query to /graphql to see its errors in full.",
            argument="query",
        )
    data = result.data or {}
    if len(data) != 1:
        raise InvalidArgumentError(
            "An exported query selects exactly one root field.",
            suggestion="Export each figure of the query on its own.",
            argument="query",
        )
    ((field, answer),) = data.items()
    flat = [_flat(r) for r in _row_list(field, answer)]
    columns = tuple(dict.fromkeys(c for r in flat for c in r))
    types = {c: _arrow_type({type(r.get(c)) for r in flat}) for c in columns}
    rows = [{c: _cell(r.get(c), types[c]) for c in columns} for r in flat]
    return AnswerRows(field, columns, rows, pa.schema(list(types.items())))


def _row_list(field: str, answer: Any) -> list[Any]:
    if isinstance(answer, list):
        return answer
    if isinstance(answer, dict):
        for name in ROW_LISTS:
            if isinstance(answer.get(name), list):
                return list(answer[name])
    raise InvalidArgumentError(
        f"'{field}' answers no rows to export: select its buckets or rows.",
        suggestion="e.g. { messagingMetrics(…) { buckets { start sent } } }",
        argument="query",
    )


def _flat(row: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(row, dict):
        return {prefix or "value": row}
    flat: dict[str, Any] = {}
    for name, value in row.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{path}."))
        elif isinstance(value, list):
            flat[path] = json.dumps(value)
        else:
            flat[path] = value
    return flat


def _arrow_type(kinds: set[type]) -> pa.DataType:
    kinds.discard(type(None))
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {int}:
        return pa.int64()
    if kinds and kinds <= {int, float}:
        return pa.float64()
    return pa.string()


def _cell(value: Any, kind: pa.DataType) -> Any:
    """A value of a column of mixed kinds as its text, so every row fits the column's type."""
    if kind == pa.string() and value is not None and not isinstance(value, str):
        return json.dumps(value)
    return value
