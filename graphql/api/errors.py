"""The API's own errors: each says what went wrong and what to do, and reaches the client as is.

Every other exception is masked (``app.py``), so only these carry detail to a caller. graphql-core
copies an exception's ``extensions`` dict into the GraphQL error it reports.
"""

from __future__ import annotations

from typing import Any

from pulse.errors import PulseError


class ApiError(PulseError):
    """Root of the errors a GraphQL client may see; ``suggestion`` tells it how to fix the call."""

    code = "api_error"

    def __init__(self, message: str, suggestion: str, **fields: Any) -> None:
        super().__init__(message, suggestion=suggestion, **fields)
        self.suggestion = suggestion

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code.upper(), **self.fields}


class UnauthenticatedError(ApiError):
    """No bearer token, or one that is malformed, badly signed or expired."""

    code = "unauthenticated"


class ForbiddenError(ApiError):
    """A valid token asked for data it may not see (another tenant's)."""

    code = "forbidden"


class UnavailableError(ApiError):
    """The field needs a service this API was started without (alert rules: Kafka)."""

    code = "unavailable"


class InvalidArgumentError(ApiError):
    """An argument is well-typed but meaningless, e.g. a window that ends before it starts."""

    code = "invalid_argument"


class LimitExceededError(ApiError):
    """The document asks for more than a query limit allows; refused before any work. Each
    subclass's code names its limit; the fields hold the limit, what was asked and the setting."""

    code = "limit_exceeded"


class QueryTooDeepError(LimitExceededError):
    code = "query_too_deep"


class TooManyAliasesError(LimitExceededError):
    code = "too_many_aliases"


class QueryTooLargeError(LimitExceededError):
    """More lexical tokens than allowed: the document is refused while it is parsed."""

    code = "query_too_large"


class QueryTooCostlyError(LimitExceededError):
    """The estimated cost (figures x buckets x rows) is over the limit."""

    code = "query_too_costly"


class RateLimitedError(ApiError):
    """The tenant's requests came faster than its rate; ``retry_after_seconds``: when to retry."""

    code = "rate_limited"


class RateLimitUnavailableError(UnavailableError):
    """Redis, which holds the tenants' rate limits, cannot be reached: requests are refused."""

    code = "rate_limit_unavailable"


class QueryTimeoutError(ApiError):
    """ClickHouse's time limit or the operation's ran out before the answer was ready."""

    code = "timeout"
