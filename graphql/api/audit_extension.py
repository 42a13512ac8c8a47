"""The schema extension that audits every operation: one :class:`AuditRecord` per request.

What is recorded: the token's tenant, ``sub``, roles and org units (never the token), the
operation's type and name, its root fields with their arguments as written (a ``$name`` where
a variable stands, so filters are there whether inline or in variables), the variables, the rows
returned, the duration and the outcome.

``rows`` is the number of items of every list in the answer's data, at any depth (buckets,
channels, conversations, rules, audit entries…); an answer without lists, or without data, has 0.
``outcome`` is ``ok``, else the first error's code in lower case (``forbidden``,
``invalid_argument``…), ``invalid_query`` for an error GraphQL raised about the document or its
variables, and ``internal`` for a masked one.

``subject`` is the token's ``sub``; an embed token's is ``embed:<dashboard id>:<sub>``, so its
reads are told from its minter's own (:func:`audit_subject`).

A subscription is recorded once, when it ends, and its ``arguments`` carry ``"@live"``: its
pushes, and for a dashboard the widget queries its pushes ran (``{"pushes": 3, "widgets":
{"<widget id>": 3, …}}``). Those widget runs make no record of their own, or every push would
make one per widget per viewer; a dashboard *query* still records each widget's query.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, print_ast
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult

from pulse.graphql.audit import AuditRecord
from pulse.graphql.auth import Claims
from pulse.graphql.context import ApiContext


@dataclass
class LiveTally:
    """What a subscription did while it ran, for its one record."""

    subscribed: bool = False
    pushes: int = 0
    widgets: Counter[str] = field(default_factory=Counter)

    def as_arguments(self) -> dict[str, Any]:
        return {"pushes": self.pushes, "widgets": dict(sorted(self.widgets.items()))}


# The operation running in this task, which widget queries answered inside it can see.
_RUNNING: ContextVar[LiveTally | None] = ContextVar("pulse_audited_operation", default=None)


def audit_subject(claims: Claims) -> str:
    """Who the record names: the token's ``sub``, marked as an embed token's when it is one."""
    if claims.dashboard is None:
        return claims.subject
    return f"embed:{claims.dashboard}:{claims.subject}"


class AuditExtension(SchemaExtension):
    """Hands the operation's record to ``Services.audit`` once the answer is known."""

    _tally: LiveTally | None = None

    def on_operation(self) -> Iterator[None]:
        outer = _RUNNING.get()
        context = self.execution_context.context
        widget = context.widget_id if isinstance(context, ApiContext) else None
        if outer is not None and outer.subscribed and widget is not None:
            # A widget answered for a push: tallied in its subscription's record.
            outer.widgets[widget] += 1
            yield
            return
        started_ns = time.monotonic_ns()
        at_ms = time.time_ns() // 1_000_000
        self._tally = LiveTally()
        _RUNNING.set(self._tally)
        # A subscription's operation ends by cancellation when its subscriber completes it or
        # goes away: the record is made then too.
        try:
            yield
        finally:
            _RUNNING.set(outer)
            self._audit(started_ns, at_ms)

    def on_execute(self) -> Iterator[None]:
        if self._tally is not None:
            operation = self._operation()
            self._tally.subscribed = (
                operation is not None and operation.operation == OperationType.SUBSCRIPTION
            )
        yield

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        if self._tally is not None:
            self._tally.pushes += 1
        yield

    def _audit(self, started_ns: int, at_ms: int) -> None:
        context = self.execution_context.context
        if not isinstance(context, ApiContext) or context.services.audit is None:
            return
        duration_ms = (time.monotonic_ns() - started_ns) // 1_000_000
        context.services.audit.record(self._record(context, at_ms, duration_ms))

    def _record(self, context: ApiContext, at_ms: int, duration_ms: int) -> AuditRecord:
        ec = self.execution_context
        claims = context.auth if isinstance(context.auth, Claims) else None
        operation = self._operation()
        result = ec.result
        data = None if result is None else result.data
        errors = list((result.errors if result is not None else None) or ())
        errors = errors or list(ec.pre_execution_errors or ())
        fields = _root_fields(operation)
        arguments: dict[str, Any] = {f.name.value: _arguments(f) for f in fields}
        if self._tally is not None and self._tally.subscribed:
            arguments["@live"] = self._tally.as_arguments()
        return AuditRecord(
            at=at_ms,
            tenant_id=claims.tenant_id if claims else "",
            subject=audit_subject(claims) if claims else "",
            roles=sorted(claims.roles) if claims else [],
            org_units=sorted(claims.org_units or ()) if claims else [],
            operation_type="" if operation is None else operation.operation.value,
            operation_name=ec.operation_name or "",
            fields=[f.name.value for f in fields],
            arguments=_json(arguments),
            variables=_json(ec.variables or {}),
            rows=count_rows(data),
            duration_ms=duration_ms,
            outcome=outcome(errors),
        )

    def _operation(self) -> OperationDefinitionNode | None:
        document = self.execution_context.graphql_document
        if document is None:
            return None
        wanted = self.execution_context.operation_name
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and (
                wanted is None or (definition.name and definition.name.value == wanted)
            ):
                return definition
        return None


def _root_fields(operation: OperationDefinitionNode | None) -> list[FieldNode]:
    if operation is None:
        return []
    return [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]


def _arguments(field: FieldNode) -> dict[str, str]:
    return {a.name.value: print_ast(a.value) for a in field.arguments or ()}


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def count_rows(data: Any) -> int:
    """List items anywhere in ``data``."""
    if isinstance(data, list):
        return len(data) + sum(count_rows(item) for item in data)
    if isinstance(data, dict):
        return sum(count_rows(value) for value in data.values())
    return 0


def outcome(errors: list[GraphQLError]) -> str:
    if not errors:
        return "ok"
    first = errors[0]
    code = (first.extensions or {}).get("code")
    if isinstance(code, str):
        return code.lower()
    # No path: about the document or its variables; with one and no code, an error of ours
    # (masked or not yet).
    return "invalid_query" if first.path is None else "internal"
