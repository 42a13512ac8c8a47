"""The avro family's errors: one root, and one subclass per stage that can refuse an event."""

from __future__ import annotations

from typing import Any

from pulse.errors import PulseError


class AvroError(PulseError):
    """Root of every error raised by the event contract, its catalog and its codec."""

    code = "avro_error"


class UnknownSchemaError(AvroError):
    """No schema of that event type, version or fingerprint is in the catalog."""

    code = "unknown_schema"


class EncodeError(AvroError):
    """An event does not fit the schema it is written with (``reason`` says how)."""

    code = "encode_error"

    def __init__(self, message: str, *, reason: str, **fields: Any) -> None:
        super().__init__(message, reason=reason, **fields)
        self.reason = reason


class DecodeError(AvroError):
    """Bytes that are not one event of a known schema (``reason`` says why)."""

    code = "decode_error"

    def __init__(self, message: str, *, reason: str, **fields: Any) -> None:
        super().__init__(message, reason=reason, **fields)
        self.reason = reason


class ContractError(AvroError):
    """An event breaks a METRICS.md §4 rule; ``field`` names the culprit ("" for the whole)."""

    code = "contract_error"

    def __init__(self, message: str, *, field: str, reason: str, **fields: Any) -> None:
        super().__init__(message, field=field, reason=reason, **fields)
        self.field = field
        self.reason = reason
