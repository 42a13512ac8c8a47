"""The collector family of errors: API keys, and the refusals of a request as a whole."""

from __future__ import annotations

from pulse.errors import PulseError


class CollectorError(PulseError):
    """The root of every error raised by ``pulse.collector``."""

    code = "collector_error"


class KeyStoreError(CollectorError):
    """The keys topic could not be read or written, or a key operation makes no sense."""

    code = "key_store_error"


class UnknownKeyError(KeyStoreError):
    """No key of that id belongs to that tenant."""

    code = "unknown_key"


class RequestRefusedError(CollectorError):
    """A request refused as a whole, before any event is judged; ``status`` is its HTTP status."""

    code = "request_refused"

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message, status=status, reason=reason)
        self.status = status
        self.reason = reason
        self.headers: dict[str, str] = {}

    def with_headers(self, headers: dict[str, str]) -> RequestRefusedError:
        """The same refusal, answered with ``headers`` too (``Retry-After``)."""
        self.headers.update(headers)
        return self
