"""Retention windows and the recalculation floor they imply: pure arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pulse.families.recalc import BadRecalcRequestError, RecalcRequest
from pulse.privacy.errors import BadPrivacyRequestError
from pulse.privacy.recalc_floor import within_raw_retention
from pulse.privacy.windows import RetentionPolicy, Window, parse_windows


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("window", "now", "cutoff"),
    [
        ("90d", "2026-11-30T12:00:00", "2026-09-01T12:00:00"),
        ("36h", "2026-11-30T12:00:00", "2026-11-29T00:00:00"),
        ("2w", "2026-11-30T12:00:00", "2026-11-16T12:00:00"),
        ("24M", "2026-11-30T12:00:00", "2024-11-30T12:00:00"),
        ("1M", "2026-03-31T08:00:00", "2026-02-28T08:00:00"),
        ("1y", "2028-02-29T00:00:00", "2027-02-28T00:00:00"),
    ],
)
def test_a_window_counts_back_exact_units_or_calendar_months(
    window: str, now: str, cutoff: str
) -> None:
    """h, d, w are exact durations; M and y are calendar months, clamped to a month's end."""
    assert Window.parse(window).cutoff_ms(at(now)) == at(cutoff)


@pytest.mark.parametrize("text", ["", "90", "0d", "-1d", "5m", "d90", "raw"])
def test_malformed_windows_are_refused(text: str) -> None:
    """Only a positive count with one of h, d, w, M, y is a window."""
    with pytest.raises(BadPrivacyRequestError):
        Window.parse(text)


def test_kinds_are_parsed_and_unknown_kinds_refused() -> None:
    """``raw=90d,aggregates=24M`` names windows by kind; a kind that is not one is refused."""
    assert parse_windows("raw=90d, aggregates=24M") == {
        "raw": Window(90, "d"),
        "aggregates": Window(24, "M"),
    }
    with pytest.raises(BadPrivacyRequestError):
        parse_windows("events=90d")


POLICY = RetentionPolicy(
    {
        "raw": Window(90, "d"),
        "aggregates": Window(24, "M"),
        "csat": Window(24, "M"),
        "dead_letters": Window(30, "d"),
    },
    {"brief": {"raw": Window(10, "d")}, "long": {"raw": Window(400, "d")}},
)
NOW = at("2026-11-30T12:00:00")


def test_recalc_starts_at_the_first_whole_day_inside_the_tenants_raw_window() -> None:
    """An open recalc starts at the first UTC midnight inside the tenant's raw window."""
    narrowed, note = within_raw_retention(RecalcRequest(tenant_id="brief"), POLICY, NOW)
    assert narrowed.from_ms == at("2026-11-21T00:00:00") and note is not None
    inside = RecalcRequest(tenant_id="acme", from_ms=at("2026-10-01T00:00:00"))
    assert within_raw_retention(inside, POLICY, NOW) == (inside, None)


def test_recalc_of_every_tenant_starts_inside_the_shortest_raw_window() -> None:
    """Without --tenant the floor is the latest of every tenant's raw cutoff."""
    narrowed, _ = within_raw_retention(RecalcRequest(), POLICY, NOW)
    assert narrowed.from_ms == at("2026-11-21T00:00:00")


def test_recalc_of_a_range_wholly_before_the_raw_window_is_refused() -> None:
    """A range that ends before the floor would zero kept aggregates: refused, nothing done."""
    old = RecalcRequest(
        tenant_id="acme", from_ms=at("2026-01-01T00:00:00"), to_ms=at("2026-02-01T00:00:00")
    )
    with pytest.raises(BadRecalcRequestError, match="raw retention"):
        within_raw_retention(old, POLICY, NOW)
