"""The API's arithmetic (METRICS.md §4 Numbers): rates, means and nearest-rank percentiles.

Pure and exact: :mod:`decimal` does the rounding, because ``round()`` rounds half to even and
binary floats cannot hold most halves exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal


def round_half_away(value: Decimal, places: int) -> float:
    """``value`` rounded half away from zero to ``places`` decimals (that is ``ROUND_HALF_UP``)."""
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` in percent to 2 decimals; ``None`` for a zero denominator."""
    if denominator == 0:
        return None
    return round_half_away(Decimal(numerator) * 100 / Decimal(denominator), 2)


def mean_seconds(total_ms: int, count: int) -> float | None:
    """The mean of ``count`` durations summing to ``total_ms``, in seconds to 3 decimals."""
    if count == 0:
        return None
    return round_half_away(Decimal(total_ms) / Decimal(count) / 1000, 3)


def nearest_rank(p: int, n: int) -> int:
    """The 1-based rank ``ceil(p/100 · n)`` of the ``p``-th percentile of ``n`` values."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} is outside (0, 100]")
    if n <= 0:
        raise ValueError("a percentile of no values is undefined")
    return -(-p * n // 100)


def percentile(values: Sequence[int], p: int) -> int | None:
    """The nearest-rank ``p``-th percentile of ``values``; ``None`` for no values."""
    if not values:
        return None
    return sorted(values)[nearest_rank(p, len(values)) - 1]


def ms_to_seconds(value_ms: int | None) -> float | None:
    """Milliseconds as seconds; exact to the millisecond, as the facts are."""
    return None if value_ms is None else value_ms / 1000
