"""The root of every error the project raises on purpose.

Each package family subclasses :class:`PulseError` once (``ContractError``, ``SinkError``…) and
adds small subclasses with structured fields, so callers can catch a family and log its fields.
"""

from __future__ import annotations

from typing import Any


class PulseError(Exception):
    """An error with a stable machine-readable ``code`` and structured ``fields``."""

    code: str = "pulse_error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.fields}


class ConfigError(PulseError):
    """A setting is missing or malformed."""

    code = "config_error"


class ServiceUnavailableError(PulseError):
    """Kafka, ClickHouse or Redis cannot be reached; workers stop loudly on it."""

    code = "service_unavailable"


class InvalidFieldError(PulseError):
    """A record, or a request about one, is invalid; ``field`` names what to fix."""

    code = "invalid_field"

    def __init__(self, field: str, reason: str, **fields: Any) -> None:
        super().__init__(f"{field}: {reason}", field=field, **fields)
        self.field = field
        self.reason = reason
