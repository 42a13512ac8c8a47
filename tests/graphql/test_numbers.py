"""Rates, means and percentiles follow METRICS.md §4 Numbers exactly."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.graphql.numbers import (
    mean_seconds,
    ms_to_seconds,
    nearest_rank,
    percentile,
    rate,
    round_half_away,
)


def _half_away(value: Fraction, places: int) -> Fraction:
    scaled = value * 10**places
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    return Fraction(magnitude if scaled >= 0 else -magnitude, 10**places)


def test_rate_rounds_halves_away_from_zero() -> None:
    """1/8 = 12.5 % exactly and 1/16 = 6.25 % round like a person would, not to even."""
    assert rate(1, 8) == 12.5
    assert rate(1, 16) == 6.25
    assert rate(1, 3) == 33.33
    assert rate(2, 3) == 66.67
    assert rate(1, 800) == 0.13  # 0.125 → 0.13, where round() would give 0.12


def test_rate_is_null_without_denominator_and_zero_without_numerator() -> None:
    """A zero denominator gives null; a zero numerator over a positive denominator gives 0.0."""
    assert rate(0, 0) is None
    assert rate(5, 0) is None
    assert rate(0, 7) == 0.0


def test_rate_may_exceed_a_hundred() -> None:
    """Rates are ratios of one bucket's counts, so delivered > sent gives over 100 %."""
    assert rate(3, 2) == 150.0


def test_round_half_away_rounds_negative_halves_down() -> None:
    """-0.125 becomes -0.13: away from zero on both sides."""
    assert round_half_away(Decimal("-0.125"), 2) == -0.13
    assert round_half_away(Decimal("0.0005"), 3) == 0.001


def test_mean_seconds_rounds_to_milliseconds() -> None:
    """The mean of 1 ms and 2 ms is 0.0015 s, which rounds up to 0.002 s; no values give null."""
    assert mean_seconds(3, 2) == 0.002
    assert mean_seconds(1000, 3) == 0.333
    assert mean_seconds(0, 0) is None


def test_nearest_rank_examples() -> None:
    """The median of 10 values is the 5th, the p90 the 9th, and p90 of 1 value is that value."""
    assert nearest_rank(50, 10) == 5
    assert nearest_rank(90, 10) == 9
    assert nearest_rank(90, 1) == 1
    assert nearest_rank(50, 3) == 2
    assert percentile([5, 1, 4, 2, 3], 50) == 3
    assert percentile([], 50) is None


def test_nearest_rank_rejects_nonsense() -> None:
    """A percentile outside (0, 100] or of no values is a programming error."""
    with pytest.raises(ValueError, match="outside"):
        nearest_rank(0, 3)
    with pytest.raises(ValueError, match="no values"):
        nearest_rank(50, 0)


def test_ms_to_seconds_keeps_null() -> None:
    """Milliseconds become seconds and a missing value stays missing."""
    assert ms_to_seconds(1234) == 1.234
    assert ms_to_seconds(None) is None


@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_rate_equals_exact_fraction_rounded_half_away(numerator: int, denominator: int) -> None:
    """For any counts the rate is the exact percentage rounded half away from zero."""
    expected = _half_away(Fraction(numerator * 100, denominator), 2)
    assert rate(numerator, denominator) == float(expected)


@given(st.lists(st.integers(0, 10**10), min_size=1, max_size=50))
def test_mean_seconds_equals_exact_mean_rounded_half_away(values: list[int]) -> None:
    """For any durations the mean is exact before one final rounding to 3 decimals."""
    expected = _half_away(Fraction(sum(values), len(values) * 1000), 3)
    assert mean_seconds(sum(values), len(values)) == float(expected)


@given(st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=200), st.integers(1, 100))
def test_percentile_is_the_smallest_value_covering_p_percent(values: list[int], p: int) -> None:
    """Nearest rank gives the smallest value with at least p % of the values at or below it."""
    got = percentile(values, p)
    assert got in values
    at_or_below = sum(1 for v in values if v <= got)
    assert at_or_below * 100 >= p * len(values)
    below = sum(1 for v in values if v < got)
    assert below * 100 < p * len(values)
