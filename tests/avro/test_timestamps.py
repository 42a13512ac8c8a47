"""Strict ISO-8601 instants to and from milliseconds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.avro.timestamps import format_iso_ms, parse_iso_ms
from tests.avro.strategies import MAX_MS, MIN_MS


@given(st.integers(MIN_MS, MAX_MS), st.integers(-14 * 60, 14 * 60))
def test_format_then_parse_is_identity(ms: int, offset: int) -> None:
    """Any instant written at any offset parses back to the same millisecond."""
    assert parse_iso_ms(format_iso_ms(ms, offset)) == ms


@given(st.integers(MIN_MS // 1000, MAX_MS // 1000), st.integers(0, 999_999), st.integers(0, 6))
def test_fraction_digits_are_truncated_to_ms(seconds: int, micros: int, digits: int) -> None:
    """0..6 fractional digits are accepted; the instant is the written one floored to its ms."""
    text = format_iso_ms(seconds * 1000)[:19]
    frac = f"{micros:06d}"[:digits]
    written = f"{text}.{frac}Z" if digits else f"{text}Z"
    expected_us = int(frac.ljust(6, "0")) if digits else 0
    assert parse_iso_ms(written) == seconds * 1000 + expected_us // 1000


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_is_none(text: str) -> None:
    """Any text either parses to an int or is refused with None, never an exception."""
    assert parse_iso_ms(text) is None or isinstance(parse_iso_ms(text), int)


@pytest.mark.parametrize(
    "text",
    ["2026-11-01T01:30:00-00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"],
)
def test_edge_instants_parse(text: str) -> None:
    """A negative-zero offset and the first and last representable years are accepted."""
    assert isinstance(parse_iso_ms(text), int)
