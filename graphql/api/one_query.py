"""A query written once and run later (a dashboard widget, an export) checked before it runs: it
parses, holds exactly one query operation (no mutation, no subscription) and is valid against
the schema."""

from __future__ import annotations

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)

from pulse.graphql.errors import InvalidArgumentError

_SEE_ERRORS = "Send the query to /graphql to see its errors in full."


def one_query(
    schema: GraphQLSchema, query: str, argument: str
) -> tuple[DocumentNode, OperationDefinitionNode]:
    """``query`` parsed, and its one operation; InvalidArgumentError naming ``argument``
    otherwise."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise InvalidArgumentError(
            f"The query does not parse: {exc.message}", suggestion=_SEE_ERRORS, argument=argument
        ) from exc
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        raise InvalidArgumentError(
            "The query must hold exactly one query operation; mutations and subscriptions are"
            " refused.",
            suggestion="Send changes to /graphql; save or export one query, e.g."
            " { messagingMetrics(…) { buckets { start sent } } }",
            argument=argument,
        )
    invalid = validate(schema, document)
    if invalid:
        raise InvalidArgumentError(
            f"The query was refused: {invalid[0].message}",
            suggestion=_SEE_ERRORS,
            argument=argument,
        )
    return document, operations[0]
