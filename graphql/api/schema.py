"""The Strawberry schema: the root query, the masking of unexpected errors, and their logging."""

from __future__ import annotations

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from pulse.graphql.errors import ApiError
from pulse.graphql.resolvers import Query

log = structlog.get_logger(__name__)


def should_mask(error: GraphQLError) -> bool:
    """Mask anything raised by code, except the API's own errors; keep GraphQL's own messages.

    An error without an original exception is a syntax or validation error about the query
    itself; it names nothing internal and the client needs it to fix the query.
    """
    original = error.original_error
    return original is not None and not isinstance(original, ApiError)


def _mask_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=should_mask, error_message="Internal error.")


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Refusals are the caller's business: one info line each, no traceback. The rest is
        logged with its traceback by Strawberry, before the client sees it masked."""
        unexpected = []
        for error in errors:
            if isinstance(error.original_error, ApiError):
                log.info("request refused", **error.original_error.as_dict())
            else:
                unexpected.append(error)
        super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    return _Schema(query=Query, extensions=[_mask_errors])


def sdl() -> str:
    """The schema in SDL, as committed in ``graphql/schema.graphql`` (see ``sdl.py``)."""
    return build_schema().as_str() + "\n"
