"""The query limits, one schema extension: each refusal an API error naming its limit.

Before any ClickHouse work, an operation is held to, in order:

1. its lexical tokens (PULSE_API_MAX_TOKENS, Strawberry's ``MaxTokensLimiter`` mechanism: the
   parser stops) → QUERY_TOO_LARGE;
2. its depth and aliases (Strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter``
   validators) → QUERY_TOO_DEEP, TOO_MANY_ALIASES;
3. its estimated cost (``cost.py``) → QUERY_TOO_COSTLY;
4. its tenant's request rate (``query_rate.py``) → RATE_LIMITED, or RATE_LIMIT_UNAVAILABLE.

While it runs, every awaited resolver shares one deadline, PULSE_API_OPERATION_TIMEOUT_SECONDS
from the start of execution → TIMEOUT (subscriptions run for as long as they are wanted and
have none); each ClickHouse read has its own limit besides (``timeouts.py``).

The limits come from ``Services.limits`` in the request's context, so a dashboard's widgets,
run through the same schema and context, are each held to them as if sent alone.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, cast

from graphql import ExecutionResult, GraphQLError, ValidationContext, ValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.types.graphql import OperationType

from pulse.graphql.context import ApiContext, QueryLimits
from pulse.graphql.cost import estimate
from pulse.graphql.errors import (
    ApiError,
    QueryTimeoutError,
    QueryTooCostlyError,
    QueryTooDeepError,
    QueryTooLargeError,
    TooManyAliasesError,
)

# graphql-core's parser says this when it stops at ``max_tokens``.
_TOKENS_MESSAGE = "Document contains more than"


class LimitsExtension(SchemaExtension):
    """Applies ``Services.limits`` and ``Services.rates`` to every operation."""

    _deadline: float | None = None
    _timeout_seconds = 0.0

    def on_operation(self) -> Iterator[None]:
        limits = self._limits()
        if limits is not None:
            ec = self.execution_context
            ec.parse_options["max_tokens"] = limits.max_tokens
            ec.validation_rules = (*ec.validation_rules, *_validators(limits))
        yield

    def on_parse(self) -> Iterator[None]:
        yield
        limits = self._limits()
        for error in self.execution_context.pre_execution_errors or ():
            if limits is not None and _TOKENS_MESSAGE in error.message:
                refusal = QueryTooLargeError(
                    f"The query has more than {limits.max_tokens} tokens.",
                    suggestion="Send a smaller query, or split it.",
                    limit=limits.max_tokens,
                    setting="PULSE_API_MAX_TOKENS",
                )
                # The parser's own error, rewritten in place: Strawberry answers that object.
                error.message = refusal.message
                error.extensions = refusal.extensions
                error.original_error = refusal

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        limits = self._limits()
        if limits is not None and isinstance(context, ApiContext):
            subscription = self.execution_context.operation_type == OperationType.SUBSCRIPTION
            try:
                self._check_cost(context, limits)
                await _take_rate(context, subscription)
            except ApiError as refused:
                if subscription:
                    raise  # Strawberry answers a subscription's on_execute error as its result
                # A result set here skips execution, and the refusal is audited like any other.
                error = GraphQLError(refused.message, original_error=refused)
                self.execution_context.result = ExecutionResult(data=None, errors=[error])
                _retry_after(context, refused)
            if not subscription:
                self._timeout_seconds = limits.operation_timeout_seconds
                self._deadline = time.monotonic() + self._timeout_seconds
        yield

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        result = _next(root, info, *args, **kwargs)
        if self._deadline is None or not inspect.isawaitable(result):
            return result
        return self._in_time(result)

    async def _in_time(self, awaitable: Awaitable[Any]) -> Any:
        assert self._deadline is not None
        try:
            return await asyncio.wait_for(awaitable, max(0.0, self._deadline - time.monotonic()))
        except TimeoutError as exc:
            seconds = self._timeout_seconds
            raise QueryTimeoutError(
                f"The query ran out of its {seconds:g} s.",
                suggestion="Ask for less (a shorter range, fewer fields) or split the query.",
                limit_seconds=seconds,
                setting="PULSE_API_OPERATION_TIMEOUT_SECONDS",
            ) from exc

    def _check_cost(self, context: ApiContext, limits: QueryLimits) -> None:
        ec = self.execution_context
        if ec.graphql_document is None:
            return
        cost = estimate(
            ec.schema._schema,
            ec.graphql_document,
            ec.operation_name,
            ec.variables,
            context.services.max_buckets,
        )
        if cost is not None and cost > limits.max_cost:
            raise QueryTooCostlyError(
                f"The query's estimated cost is {cost}; at most {limits.max_cost} is allowed.",
                suggestion="Ask for fewer figures or rows, a shorter range or a coarser"
                " granularity, or split the query.",
                cost=cost,
                limit=limits.max_cost,
                setting="PULSE_API_MAX_COST",
            )

    def _limits(self) -> QueryLimits | None:
        context = self.execution_context.context
        return context.services.limits if isinstance(context, ApiContext) else None


async def _take_rate(context: ApiContext, subscription: bool) -> None:
    """One token of the caller's tenant per request (each subscription is one), none for a
    caller without a valid token: its fields refuse it anyway."""
    rates = context.services.rates
    if rates is None or isinstance(context.auth, ApiError):
        return
    if context.rate_taken and not subscription:
        return
    context.rate_taken = True
    await rates.admit(context.auth.tenant_id)


def _retry_after(context: ApiContext, refused: ApiError) -> None:
    seconds = refused.fields.get("retry_after_seconds")
    headers = getattr(context.response, "headers", None)
    if seconds is not None and headers is not None:
        headers["Retry-After"] = str(seconds)


def _validators(limits: QueryLimits) -> tuple[type[ValidationRule], ...]:
    def too_deep(error: GraphQLError) -> ApiError:
        return QueryTooDeepError(
            f"The query nests fields more than {limits.max_depth} deep.",
            suggestion="Select less deeply nested fields, or split the query.",
            limit=limits.max_depth,
            setting="PULSE_API_MAX_DEPTH",
        )

    def too_many_aliases(error: GraphQLError) -> ApiError:
        return TooManyAliasesError(
            f"The query has more than {limits.max_aliases} aliases ({error.message}).",
            suggestion="Use fewer aliases, or split the query.",
            limit=limits.max_aliases,
            setting="PULSE_API_MAX_ALIASES",
        )

    return (
        _coded(depth_validator(limits.max_depth, None), too_deep),
        _coded(aliases_validator(limits.max_aliases), too_many_aliases),
    )


def _coded(
    rule: type[ValidationRule], refusal: Callable[[GraphQLError], ApiError]
) -> type[ValidationRule]:
    """``rule`` (one of Strawberry's limiters, which do their work when constructed) with each
    error it reports replaced by ``refusal``'s, so the client sees a code and the limit."""

    class Coded(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            rule(cast(ValidationContext, _Recoding(context, refusal)))

    return Coded


class _Recoding:
    """A validation context whose reported errors become API errors."""

    def __init__(
        self, context: ValidationContext, refusal: Callable[[GraphQLError], ApiError]
    ) -> None:
        self._context = context
        self._refusal = refusal

    def report_error(self, error: GraphQLError) -> None:
        refused = self._refusal(error)
        self._context.report_error(
            GraphQLError(refused.message, error.nodes, original_error=refused)
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)
