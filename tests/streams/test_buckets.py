"""Buckets in a tenant's zone: DST days in New York and Lisbon, and tiling properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pulse.streams import buckets
from pulse.streams.buckets import GRANULARITIES, Granularity, all_bucket_bounds, bucket_bounds

HOUR = 3_600_000
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Lisbon",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/Santiago",
    "Australia/Sydney",
]


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def test_fall_back_has_two_local_one_oclock_hours() -> None:
    """On New York's fall-back day the two 01:00 local hours are distinct one-hour buckets."""
    first = bucket_bounds(ms("2024-11-03T01:30:00-04:00"), "America/New_York", "hour")
    second = bucket_bounds(ms("2024-11-03T01:30:00-05:00"), "America/New_York", "hour")
    assert first == (ms("2024-11-03T05:00:00Z"), ms("2024-11-03T06:00:00Z"))
    assert second == (ms("2024-11-03T06:00:00Z"), ms("2024-11-03T07:00:00Z"))


def test_spring_forward_skips_the_missing_hour() -> None:
    """On New York's spring-forward day 01:00 EST is followed directly by 03:00 EDT."""
    before = bucket_bounds(ms("2024-03-10T01:59:59-05:00"), "America/New_York", "hour")
    after = bucket_bounds(ms("2024-03-10T03:00:00-04:00"), "America/New_York", "hour")
    assert before[1] == after[0] == ms("2024-03-10T07:00:00Z")


@pytest.mark.parametrize(
    ("tz", "instant", "hours"),
    [
        ("America/New_York", "2024-03-10T12:00:00Z", 23),
        ("America/New_York", "2024-11-03T12:00:00Z", 25),
        ("Europe/Lisbon", "2024-03-31T12:00:00Z", 23),
        ("Europe/Lisbon", "2024-10-27T12:00:00Z", 25),
    ],
)
def test_dst_days_are_23_or_25_hours(tz: str, instant: str, hours: int) -> None:
    """A local day around a DST change runs midnight to midnight, 23 or 25 hours long."""
    start, end = bucket_bounds(ms(instant), tz, "day")
    assert (end - start) // HOUR == hours
    local = datetime.fromtimestamp(start / 1000, ZoneInfo(tz))
    assert (local.hour, local.minute) == (0, 0)


def test_lisbon_day_week_month() -> None:
    """Lisbon summer buckets start at local midnight (23:00 UTC), weeks on Monday."""
    t = ms("2024-07-17T23:30:00Z")  # Thursday 18 July 00:30 local
    assert bucket_bounds(t, "Europe/Lisbon", "day") == (
        ms("2024-07-17T23:00:00Z"),
        ms("2024-07-18T23:00:00Z"),
    )
    assert bucket_bounds(t, "Europe/Lisbon", "week") == (
        ms("2024-07-14T23:00:00Z"),
        ms("2024-07-21T23:00:00Z"),
    )
    assert bucket_bounds(t, "Europe/Lisbon", "month") == (
        ms("2024-06-30T23:00:00Z"),
        ms("2024-07-31T23:00:00Z"),
    )


def test_unknown_granularity_is_rejected() -> None:
    """An unknown granularity raises instead of returning a made-up bucket."""
    with pytest.raises(ValueError, match="granularity"):
        bucket_bounds(0, "UTC", "year")  # type: ignore[arg-type]


# From 1990: Kathmandu moved by 15 minutes in 1986, and such hours are not clock hours.
instants = st.integers(ms("1990-01-01T00:00:00Z"), ms("2060-01-01T00:00:00Z"))


def _is_local_boundary(start: int, tz: str, granularity: Granularity) -> bool:
    local = datetime.fromtimestamp(start / 1000, ZoneInfo(tz))
    if (local.minute, local.second, local.microsecond) != (0, 0, 0):
        return False
    if granularity == "hour":
        return True
    midnight_or_gap = local.hour == 0 or _skipped_midnight(local)
    if granularity == "day":
        return midnight_or_gap
    if granularity == "week":
        return midnight_or_gap and local.weekday() == 0
    return midnight_or_gap and local.day == 1


def _skipped_midnight(local: datetime) -> bool:
    """A day whose midnight a spring-forward skipped starts at the first instant after the gap."""
    # In UTC: aware-datetime arithmetic is wall-clock arithmetic and lands inside the gap.
    before = (local.astimezone(UTC) - timedelta(milliseconds=1)).astimezone(local.tzinfo)
    return before.date() < local.date()


@settings(max_examples=400, deadline=None)
@given(instant=instants, tz=st.sampled_from(ZONES), granularity=st.sampled_from(GRANULARITIES))
# Santiago's clocks jumped from 00:00 to 01:00 on 2021-09-05: that day starts at 01:00.
@example(instant=1_630_814_400_000, tz="America/Santiago", granularity="day")
def test_bucket_contains_instant_and_starts_on_a_local_boundary(
    instant: int, tz: str, granularity: Granularity
) -> None:
    """start <= t < end, and start is a local hour/midnight/Monday/first-of-month boundary."""
    start, end = bucket_bounds(instant, tz, granularity)
    assert start <= instant < end
    assert _is_local_boundary(start, tz, granularity)


@settings(max_examples=300, deadline=None)
@given(instant=instants, tz=st.sampled_from(ZONES), granularity=st.sampled_from(GRANULARITIES))
def test_consecutive_buckets_tile_time(instant: int, tz: str, granularity: Granularity) -> None:
    """The next bucket starts where a bucket ends; the previous one ends where it starts."""
    start, end = bucket_bounds(instant, tz, granularity)
    assert bucket_bounds(end, tz, granularity)[0] == end
    assert bucket_bounds(start - 1, tz, granularity)[1] == start


@settings(max_examples=300, deadline=None)
@given(instant=instants, tz=st.sampled_from(ZONES))
def test_slot_cache_matches_direct_computation(instant: int, tz: str) -> None:
    """Caching by 15-minute UTC slot gives the buckets computed from the exact instant."""
    local = buckets._local(instant, tz)
    direct = {g: buckets._bounds(instant, tz, g, local) for g in GRANULARITIES}
    assert all_bucket_bounds(instant, tz) == direct
