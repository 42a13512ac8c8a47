"""What the families' GraphQL fields share about a question: its granularity and its grid.

A family's resolver turns ``[from, to)``, a granularity and a zone into the bucket grid of
``grid.py``, refusing a range over ``PULSE_API_MAX_BUCKETS`` buckets with an error that names the
limit and the next coarser granularity.
"""

from __future__ import annotations

from pulse.families.errors import GridTooLargeError
from pulse.families.grid import grid
from pulse.families.helpdesk.model import Bucket
from pulse.families.helpdesk.model import Granularity as GridGranularity
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.types import Granularity

GRANULARITY: dict[Granularity, GridGranularity] = {
    Granularity.HOUR: "hour",
    Granularity.DAY: "day",
    Granularity.WEEK: "week",
    Granularity.MONTH: "month",
}
_COARSER = {
    Granularity.HOUR: Granularity.DAY,
    Granularity.DAY: Granularity.WEEK,
    Granularity.WEEK: Granularity.MONTH,
}


def question_grid(
    max_buckets: int, from_ms: int, to_ms: int, granularity: Granularity, zone: str
) -> tuple[Bucket, ...]:
    """The buckets of ``granularity`` in ``zone`` starting in ``[from_ms, to_ms)``; an
    :class:`InvalidArgumentError` when there are more than ``max_buckets`` or none."""
    try:
        buckets = grid(from_ms, to_ms, GRANULARITY[granularity], zone, max_buckets)
    except GridTooLargeError as exc:
        coarser = _COARSER.get(granularity)
        hint = (
            f"Ask for granularity {coarser.name} (or coarser) or a shorter range."
            if coarser is not None
            else "Ask for a shorter range."
        )
        raise InvalidArgumentError(
            f"[from, to) holds more than {max_buckets} {granularity.name} buckets, the limit"
            " (PULSE_API_MAX_BUCKETS).",
            suggestion=hint,
            argument="granularity",
            limit=max_buckets,
        ) from exc
    if not buckets:
        raise InvalidArgumentError(
            f"No {granularity.name} bucket of {zone} starts in [from, to).",
            suggestion="Buckets are selected by start: widen the range to hold a bucket start.",
            argument="from",
        )
    return buckets
