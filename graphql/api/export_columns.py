"""The columns of a metric export, read from the query's selection set and the schema's types
rather than from the answer: an empty answer still has its header, a nested object null in one
row still gives only its subfields' columns, and a column's type is its field's (Int → int64,
Float → float64, Boolean → bool, else string).

The exported rows are the root field's ``buckets`` (a series), else its ``rows`` (a breakdown,
a top list), else the root answer itself when it is a list (campaigns, rules). A nested
object's fields become columns named by their path (``sla.met``); a list in a row is one JSON
text column. Columns keep the query's own names (aliases) and order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from pulse.graphql.errors import InvalidArgumentError

ROW_LISTS = ("buckets", "rows")
_ARROW = {"Int": pa.int64(), "Float": pa.float64(), "Boolean": pa.bool_()}


@dataclass(frozen=True)
class Column:
    """``name`` is the column's header; ``path`` the response keys leading to it in a row
    (empty when a row is a plain value); ``json`` says a list written as its JSON text."""

    name: str
    path: tuple[str, ...]
    kind: pa.DataType
    json: bool = False


@dataclass(frozen=True)
class RowShape:
    """Where the rows are in the answer and what their columns are: ``field`` is the root
    field's response key, ``rows_key`` the key of its row list (None: the answer is the list)."""

    field: str
    rows_key: str | None
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class _Selected:
    key: str
    type: GraphQLType | None
    selection: SelectionSetNode | None


def row_shape(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> RowShape:
    """The rows' place and columns for the one root field ``operation`` selects (a valid
    query); INVALID_ARGUMENT when it selects several or no row list."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    roots = _fields(schema, schema.query_type, operation.selection_set, fragments)
    if len(roots) != 1:
        raise InvalidArgumentError(
            "An exported query selects exactly one root field.",
            suggestion="Export each figure of the query on its own.",
            argument="query",
        )
    (root,) = roots
    answer = _unwrap(root.type)
    if isinstance(answer, GraphQLList):
        return RowShape(root.key, None, _columns(schema, answer.of_type, root.selection, fragments))
    for wanted in ROW_LISTS:
        for sub in _fields(schema, answer, root.selection, fragments):
            listed = _unwrap(sub.type)
            if sub.key == wanted and isinstance(listed, GraphQLList):
                columns = _columns(schema, listed.of_type, sub.selection, fragments)
                return RowShape(root.key, sub.key, columns)
    raise InvalidArgumentError(
        f"'{root.key}' answers no rows to export: select its buckets or rows.",
        suggestion="e.g. { messagingMetrics(…) { buckets { start sent } } }",
        argument="query",
    )


def _columns(
    schema: GraphQLSchema,
    row_type: GraphQLType | None,
    selection: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    prefix: tuple[str, ...] = (),
) -> tuple[Column, ...]:
    if selection is None:
        return (Column(".".join(prefix) or "value", prefix, _arrow(row_type)),)
    found: list[Column] = []
    for sub in _fields(schema, _unwrap(row_type), selection, fragments):
        path = (*prefix, sub.key)
        if isinstance(_unwrap(sub.type), GraphQLList):
            found.append(Column(".".join(path), path, pa.string(), json=True))
        elif sub.selection is not None:
            found.extend(_columns(schema, sub.type, sub.selection, fragments, path))
        else:
            found.append(Column(".".join(path), path, _arrow(sub.type)))
    return tuple(found)


def _fields(
    schema: GraphQLSchema,
    parent: GraphQLType | None,
    selection: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> list[_Selected]:
    """The fields ``selection`` asks of ``parent``, fragments expanded, in the query's order."""
    found: list[_Selected] = []
    for node in selection.selections if selection is not None else ():
        if isinstance(node, FieldNode):
            key = node.alias.value if node.alias else node.name.value
            defined = _field(parent, node.name.value)
            kind = defined.type if defined is not None else None
            found.append(_Selected(key, kind, node.selection_set))
            continue
        if isinstance(node, FragmentSpreadNode):
            fragment: InlineFragmentNode | FragmentDefinitionNode = fragments[node.name.value]
        elif isinstance(node, InlineFragmentNode):
            fragment = node
        else:
            continue
        condition = fragment.type_condition
        named = schema.get_type(condition.name.value) if condition is not None else parent
        found.extend(_fields(schema, named, fragment.selection_set, fragments))
    # A key selected twice (a field also in a fragment) is one field, where it first appears.
    first: dict[str, _Selected] = {}
    for selected in found:
        first.setdefault(selected.key, selected)
    return list(first.values())


def _field(parent: GraphQLType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _unwrap(kind: GraphQLType | None) -> GraphQLType | None:
    return kind.of_type if isinstance(kind, GraphQLNonNull) else kind


def _arrow(kind: GraphQLType | None) -> pa.DataType:
    named = _unwrap(kind)
    if isinstance(named, GraphQLNamedType):
        return _ARROW.get(named.name, pa.string())
    return pa.string()
