"""The Strawberry schema: the root query and the masking of unexpected errors."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from pulse.graphql.errors import ApiError
from pulse.graphql.resolvers import Query


def should_mask(error: GraphQLError) -> bool:
    """Mask anything raised by code, except the API's own errors; keep GraphQL's own messages.

    An error without an original exception is a syntax or validation error about the query
    itself; it names nothing internal and the client needs it to fix the query.
    """
    original = error.original_error
    return original is not None and not isinstance(original, ApiError)


def _mask_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=should_mask, error_message="Internal error.")


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        extensions=[_mask_errors],
    )


def sdl() -> str:
    """The schema in SDL, as committed in ``graphql/schema.graphql`` (see ``sdl.py``)."""
    return build_schema().as_str() + "\n"
