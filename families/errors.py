"""STAND-IN until branch hd-query lands (the lead keeps hd-query's file at merge): the families'
root error and the refusal of an oversized grid, as hd-api's resolvers catch them."""

from __future__ import annotations

from typing import Any

from pulse.errors import PulseError


class FamilyError(PulseError):
    """The root of the errors of ``pulse.families``."""

    code = "family_error"


class GridTooLargeError(FamilyError):
    """A range needs more buckets than the configured limit."""

    code = "grid_too_large"

    def __init__(self, message: str = "too many buckets", **fields: Any) -> None:
        super().__init__(message, **fields)
