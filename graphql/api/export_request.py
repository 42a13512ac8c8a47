"""What an export asks for: a drill-down kind and the GraphQL field's arguments, or a metric
query and its variables; and a format.

``arguments`` uses the field's own names and values as JSON (``from``, ``orgUnit``, ``priority:
"URGENT"``, ``filters: {"entryPage": "/"}``), so the filters of a drill-down page and of its
export are written alike and judged by the same builders (``families/drilldown/sources.py``).
A metric ``query`` is GraphQL text run as ``/graphql`` would (``export_answer.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pulse.families.drilldown.rows import RowSource
from pulse.families.drilldown.sources import KINDS
from pulse.families.web.types import WebFilters
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.export_formats import FORMATS
from pulse.graphql.permissions import require

_INSTANTS = {"from_", "to", "as_of"}


# What the audit log and the file name call an export of a metric query.
QUERY = "query"


@dataclass(frozen=True)
class ExportRequest:
    """``kind`` is a drill-down kind with its field's ``arguments``, or :data:`QUERY` with
    ``query`` and its variables as ``arguments``."""

    kind: str
    format: str
    arguments: Mapping[str, Any]
    query: str | None = None


def parse_request(payload: Mapping[str, Any]) -> ExportRequest:
    """The request in a JSON body or query string; INVALID_ARGUMENT naming what is wrong."""
    fmt = payload.get("format", "csv")
    if fmt not in FORMATS:
        raise _wrong(
            "format",
            f"must be one of {', '.join(FORMATS)}",
            "Ask for format=csv or format=parquet.",
        )
    if "query" in payload:
        return _query_request(payload, str(fmt))
    kind, arguments = payload.get("kind"), payload.get("arguments", {})
    if kind not in KINDS:
        raise _wrong(
            "kind",
            f"must be one of {', '.join(KINDS)}",
            "Name the rows to export, e.g. kind=conversations, or send a query.",
        )
    _require_object("arguments", arguments, "the drill-down field's arguments")
    return ExportRequest(str(kind), str(fmt), arguments)


def _query_request(payload: Mapping[str, Any], fmt: str) -> ExportRequest:
    query, variables = payload.get("query"), payload.get("variables") or {}
    if not isinstance(query, str) or not query.strip():
        raise _wrong(
            "query",
            "must be the text of a GraphQL query",
            "e.g. { messagingMetrics(…) { buckets { start sent } } }",
        )
    _require_object("variables", variables, "the query's variables")
    return ExportRequest(QUERY, fmt, variables, query)


def _require_object(name: str, given: Any, holding: str) -> None:
    """INVALID_ARGUMENT on ``name`` unless ``given`` is a JSON object (of ``holding``)."""
    if not isinstance(given, dict):
        raise _wrong(
            name,
            f"must be a JSON object of {holding}",
            'e.g. {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}',
        )


def _wrong(argument: str, problem: str, suggestion: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"'{argument}' {problem}.", suggestion=suggestion, argument=argument
    )


def export_source(context: ApiContext, request: ExportRequest) -> RowSource:
    """The kind's row source for the token of ``context``, refused as its GraphQL field is."""
    kind = KINDS[request.kind]
    named = {_snake(name): value for name, value in request.arguments.items()}
    org_unit = named.get("org_unit")
    require(
        context.claims, kind.rule(), kind.field, org_unit if isinstance(org_unit, str) else None
    )
    try:
        for name in _INSTANTS & named.keys():
            named[name] = datetime.fromisoformat(str(named[name]).replace("Z", "+00:00"))
        if isinstance(named.get("priority"), str):
            named["priority"] = named["priority"].lower()
        if isinstance(named.get("filters"), dict):
            named["filters"] = WebFilters(**{_snake(k): v for k, v in named["filters"].items()})
        return kind.build(context, **named)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(
            f"The arguments do not fit '{kind.field}': {exc}.",
            suggestion=f"Give the arguments of the GraphQL field {kind.field}, but first/after.",
            argument="arguments",
        ) from exc


def _snake(name: str) -> str:
    if name == "from":
        return "from_"
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
