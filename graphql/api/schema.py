"""The Strawberry schema: the root query, mutation and subscription, the masking of unexpected
errors, and their logging."""

from __future__ import annotations

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from pulse.families.registry import MUTATIONS, QUERIES, SUBSCRIPTIONS
from pulse.graphql.audit_extension import AuditExtension
from pulse.graphql.errors import ApiError
from pulse.graphql.limits import LimitsExtension

log = structlog.get_logger(__name__)


def _callers_mistake(error: GraphQLError) -> bool:
    """A syntax or validation error about the query (no original exception), an API error, or
    one raised while coercing the request's variables (no path: no field was being resolved,
    e.g. an unknown enum value or a DateTime that does not parse)."""
    original = error.original_error
    return original is None or isinstance(original, ApiError) or error.path is None


def should_mask(error: GraphQLError) -> bool:
    """Mask anything raised by our code while resolving a field, except the API's own errors;
    keep GraphQL's own messages: they name nothing internal and the client needs them."""
    return not _callers_mistake(error)


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
            elif error.original_error is not None and error.path is None:
                log.info("request refused", code="invalid_variables", message=error.message)
            else:
                unexpected.append(error)
        super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    query = merge_types("Query", QUERIES)
    mutation = merge_types("Mutation", MUTATIONS)
    subscription = merge_types("Subscription", SUBSCRIPTIONS)
    return _Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        extensions=[_mask_errors, AuditExtension, LimitsExtension],
    )


def sdl() -> str:
    """The schema in SDL, as committed in ``graphql/schema.graphql`` (see ``sdl.py``)."""
    return build_schema().as_str() + "\n"
