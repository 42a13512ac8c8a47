"""The root error of the metric families, and the refusals a family's question can meet."""

from __future__ import annotations

from pulse.errors import PulseError


class FamilyError(PulseError):
    """A family cannot answer a question as asked."""

    code = "family_error"


class GridTooLargeError(FamilyError):
    """The range needs more buckets than ``limit``; a coarser granularity would fit."""

    code = "grid_too_large"
