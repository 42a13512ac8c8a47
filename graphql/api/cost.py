"""The estimated cost of a GraphQL operation: what it asks for, counted before any work.

Every figure (a scalar field) costs 1, an object costs what its fields cost, and a list costs
its fields times the rows it is expected to hold:

- a list with its own ``first`` or ``limit`` argument: that many;
- a ``buckets`` list: the buckets of the enclosing ``from``/``to``/``granularity`` range, at
  nominal widths (an hour, a day, a week, 28 days: never fewer than the grid has), plus one
  for a range that does not start on a bucket; a range over ``PULSE_API_MAX_BUCKETS`` counts
  as one bucket, because the bucket limit refuses it first with its own, clearer error;
- any other list: the ``first``/``limit`` of the field enclosing it (a page's ``rows``, a top
  list), else :data:`LIST_ROWS`.

So ``messagingMetrics`` over a day of hours asking 10 figures per bucket costs 25 x 10 = 250
plus its totals, and a breakdown of 1,000 rows x 6 figures costs 6,000. Fragments are counted
where they are spread; introspection fields cost nothing (they read no ClickHouse).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values

# Rows assumed of a list nothing bounds (a realtime figure's channels, a rule's deliveries…).
LIST_ROWS = 10

_WIDTH_SECONDS = {"HOUR": 3600, "DAY": 86_400, "WEEK": 7 * 86_400, "MONTH": 28 * 86_400}
_ROW_ARGUMENTS = ("first", "limit")


@dataclass(frozen=True)
class _Scope:
    """What enclosing fields say about the lists below them."""

    buckets: int = 1
    rows: int = LIST_ROWS


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    max_buckets: int,
) -> int | None:
    """The operation's cost, or None when its variables do not coerce (execution says why)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {})
    )
    if isinstance(coerced, list):
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walker = _Walker(schema, fragments, coerced, max_buckets)
    return walker.selections(root, operation.selection_set, _Scope(), frozenset())


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        max_buckets: int,
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        self._max_buckets = max_buckets

    def selections(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode,
        scope: _Scope,
        spread: frozenset[str],
    ) -> int:
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", {})
                found = fields.get(selection.name.value)
                if found is not None:
                    cost += self._field(found, selection, scope, spread)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._schema.get_type(condition.name.value) if condition else parent
                if inner is not None:
                    cost += self.selections(inner, selection.selection_set, scope, spread)
            elif isinstance(selection, FragmentSpreadNode):
                cost += self._spread(selection.name.value, scope, spread)
        return cost

    def _spread(self, name: str, scope: _Scope, spread: frozenset[str]) -> int:
        fragment = self._fragments.get(name)
        if fragment is None or name in spread:
            return 0
        typed = self._schema.get_type(fragment.type_condition.name.value)
        if typed is None:
            return 0
        return self.selections(typed, fragment.selection_set, scope, spread | {name})

    def _field(
        self, field: GraphQLField, node: FieldNode, scope: _Scope, spread: frozenset[str]
    ) -> int:
        if node.selection_set is None:
            return 1
        arguments = self._arguments(field, node)
        inner = self._within(scope, arguments)
        if not is_list_type(get_nullable_type(field.type)):
            named = get_named_type(field.type)
            return max(1, self.selections(named, node.selection_set, inner, spread))
        own = _rows(arguments)
        if own is not None:
            width = own
        elif node.name.value == "buckets":
            width = inner.buckets
        else:
            width = inner.rows
        # A list uses up what bounded it: lists below it are bounded by their own fields.
        below = _Scope()
        named = get_named_type(field.type)
        return width * max(1, self.selections(named, node.selection_set, below, spread))

    def _arguments(self, field: GraphQLField, node: FieldNode) -> dict[str, Any]:
        try:
            return get_argument_values(field, node, self._variables)
        except (GraphQLError, ValueError, TypeError):
            # Execution refuses the argument with its own message; the estimate goes on.
            return {}

    def _within(self, scope: _Scope, arguments: Mapping[str, Any]) -> _Scope:
        rows = _rows(arguments)
        if rows is not None:
            scope = replace(scope, rows=rows)
        buckets = _buckets(arguments)
        if buckets is not None:
            scope = replace(scope, buckets=1 if buckets > self._max_buckets else buckets)
        return scope


def _rows(arguments: Mapping[str, Any]) -> int | None:
    for name in _ROW_ARGUMENTS:
        value = arguments.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(value, 1)
    return None


def _buckets(arguments: Mapping[str, Any]) -> int | None:
    start, end = arguments.get("from"), arguments.get("to")
    granularity = arguments.get("granularity")
    if not isinstance(start, datetime) or not isinstance(end, datetime) or granularity is None:
        return None
    width = _WIDTH_SECONDS.get(str(getattr(granularity, "name", granularity)).upper())
    if width is None:
        return None
    span = (_aware(end) - _aware(start)).total_seconds()
    return max(1, math.ceil(span / width) + 1)


def _aware(at: datetime) -> datetime:
    # A DateTime without an offset is refused later; counted as UTC meanwhile.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
