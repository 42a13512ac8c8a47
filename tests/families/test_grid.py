"""The bucket grid against an independent construction: local wall clock scanned in 15 minutes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.families.errors import FamilyError, GridTooLargeError
from pulse.families.grid import clock_hours, grid
from pulse.families.helpdesk.model import Bucket

ZONES = [
    "UTC",
    "Europe/Lisbon",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "America/Santiago",
]
STEP_MS = 15 * 60_000
# Spans per granularity small enough to scan every quarter hour of them.
SPAN_MS = {"hour": 4 * 86_400_000, "day": 40 * 86_400_000, "week": 70 * 86_400_000}
SPAN_MS["month"] = 200 * 86_400_000
LO = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1000)
HI = int(datetime(2040, 1, 1, tzinfo=UTC).timestamp() * 1000)


def key(instant_ms: int, zone: ZoneInfo, granularity: str) -> object:
    """The wall-clock identity of the bucket holding an instant: what a local calendar shows."""
    local = datetime.fromtimestamp(instant_ms / 1000, tz=UTC).astimezone(zone)
    if granularity == "hour":
        return (local.date(), local.hour, local.utcoffset())
    if granularity == "day":
        return local.date()
    if granularity == "week":
        return local.isocalendar()[:2]
    return (local.year, local.month)


def expected(from_ms: int, to_ms: int, granularity: str, tz: str) -> list[Bucket]:
    """Buckets found by scanning the local clock: a bucket starts where the identity changes."""
    zone = ZoneInfo(tz)
    t = (from_ms - 40 * 86_400_000) // STEP_MS * STEP_MS
    starts = []
    previous = key(t, zone, granularity)
    while t < to_ms + 40 * 86_400_000:
        t += STEP_MS
        current = key(t, zone, granularity)
        if current != previous:
            starts.append(t)
        previous = current
    picked = []
    for start, end in itertools.pairwise(starts):
        if from_ms <= start < to_ms:
            offset = datetime.fromtimestamp(start / 1000, tz=UTC).astimezone(zone).utcoffset()
            assert offset is not None
            picked.append(Bucket(start, end, int(offset.total_seconds()) // 60))
    return picked


@settings(max_examples=150, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    granularity=st.sampled_from(["hour", "day", "week", "month"]),
    from_ms=st.integers(LO, HI),
    fraction=st.floats(0, 1),
)
def test_grid_matches_local_wall_clock(
    tz: str, granularity: str, from_ms: int, fraction: float
) -> None:
    """Every bucket starting in [from, to) and only those, with the local clock's bounds."""
    to_ms = from_ms + int(SPAN_MS[granularity] * fraction)
    got = grid(from_ms, to_ms, granularity, tz, 10_000)  # type: ignore[arg-type]
    assert list(got) == expected(from_ms, to_ms, granularity, tz)


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_fall_back_day_has_two_one_oclock_hours() -> None:
    """Lisbon on 2026-10-25: 01:00 WEST and 01:00 WET are two hour buckets; the day lasts 25 h."""
    hours = grid(
        ms("2026-10-25T00:00+01:00"), ms("2026-10-25T03:00+00:00"), "hour", "Europe/Lisbon", 99
    )
    assert [(b.start_ms, b.offset_minutes) for b in hours] == [
        (ms("2026-10-25T00:00+01:00"), 60),
        (ms("2026-10-25T01:00+01:00"), 60),
        (ms("2026-10-25T01:00+00:00"), 0),
        (ms("2026-10-25T02:00+00:00"), 0),
    ]
    (day,) = grid(
        ms("2026-10-25T00:00+01:00"), ms("2026-10-25T01:00+00:00"), "day", "Europe/Lisbon", 9
    )
    assert day.end_ms - day.start_ms == 25 * 3_600_000


def test_kolkata_hours_start_at_half_past_utc() -> None:
    """+05:30 local hours start at :30 UTC; a from inside an hour skips to the next start."""
    hours = grid(ms("2026-01-01T00:10Z"), ms("2026-01-01T02:00Z"), "hour", "Asia/Kolkata", 9)
    assert [b.start_ms for b in hours] == [ms("2026-01-01T00:30Z"), ms("2026-01-01T01:30Z")]
    assert {b.offset_minutes for b in hours} == {330}


def test_lord_howe_half_hour_shift_gives_a_contiguous_grid() -> None:
    """A half-hour DST zone is out of scope for clock hours but yields contiguous buckets."""
    hours = grid(
        ms("2026-04-04T12:00Z"), ms("2026-04-05T12:00Z"), "hour", "Australia/Lord_Howe", 99
    )
    assert hours
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(hours))
    assert all(b.start_ms < b.end_ms for b in hours)


@pytest.mark.parametrize(
    ("zone", "first", "last", "clock"),
    [
        ("Australia/Lord_Howe", "2026-04-04T12:00Z", "2026-04-05T12:00Z", False),
        ("Australia/Lord_Howe", "2026-10-03T12:00Z", "2026-10-03T20:00Z", False),
        ("Australia/Lord_Howe", "2026-10-10T12:00Z", "2026-10-10T20:00Z", True),
        ("Europe/Lisbon", "2026-10-24T20:00Z", "2026-10-25T06:00Z", True),
        ("Asia/Kolkata", "2026-01-01T00:00Z", "2026-01-02T00:00Z", True),
        ("Asia/Kathmandu", "2026-01-01T00:00Z", "2026-01-02T00:00Z", True),
    ],
)
def test_clock_hours_are_false_only_around_a_non_whole_hour_change(
    zone: str, first: str, last: str, clock: bool
) -> None:
    """Lord Howe's half-hour changes (back in April, forward in October) break clock hours;
    its other days, a whole-hour fall-back, +05:30 and +05:45 keep them."""
    assert clock_hours(grid(ms(first), ms(last), "hour", zone, 99)) is clock


def test_too_many_buckets_is_refused_with_the_limit() -> None:
    """A range needing more than the limit raises GridTooLargeError naming the limit."""
    with pytest.raises(GridTooLargeError) as raised:
        grid(0, 500 * 86_400_000, "hour", "UTC", 10_000)
    assert isinstance(raised.value, FamilyError)
    assert raised.value.fields["limit"] == 10_000
    assert "day" in raised.value.message
    assert len(grid(0, 10 * 3_600_000, "hour", "UTC", 10)) == 10
    with pytest.raises(GridTooLargeError):
        grid(0, 10 * 3_600_000 + 1, "hour", "UTC", 10)


def test_empty_range_has_no_buckets() -> None:
    """from = to selects no bucket."""
    assert grid(5, 5, "day", "UTC", 10) == ()
