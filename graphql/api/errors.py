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
