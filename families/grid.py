"""The bucket grid of a question: every bucket of a granularity whose start lies in ``[from, to)``.

Built in Python from the zone (zoneinfo), as the lead decided, and compared with ClickHouse's
``toStartOfHour/Day/Week/Month(t, tz)`` by UTC start instant only. Hours are local clock hours
(a fall-back day has two 01:00 buckets, a spring-forward day none for the skipped hour; +05:30
hours start at :30 UTC), days local midnight to midnight, weeks from Monday 00:00 local, months
calendar months. A zone whose offset moves by a non-whole hour (Australia/Lord_Howe) gets a
contiguous grid whose hours around the change are not clock hours.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pulse.families.errors import GridTooLargeError
from pulse.families.helpdesk.model import Bucket, Granularity

_HOUR_MS = 3_600_000
# The longest a bucket of each granularity can be (a 25-hour day, a 31-day month with a
# fall-back, with room for odd zones), so a range too large is refused before anything is built.
_LONGEST_MS: dict[str, int] = {
    "hour": 2 * _HOUR_MS,
    "day": 26 * _HOUR_MS,
    "week": 7 * 24 * _HOUR_MS + 2 * _HOUR_MS,
    "month": 31 * 24 * _HOUR_MS + 2 * _HOUR_MS,
}


def grid(
    from_ms: int, to_ms: int, granularity: Granularity, tz: str, max_buckets: int
) -> tuple[Bucket, ...]:
    """The buckets of ``granularity`` in ``tz`` starting in ``[from_ms, to_ms)``, oldest first.

    Raises :class:`GridTooLargeError` (carrying ``limit``) when more than ``max_buckets`` would
    be needed; ``ZoneInfoNotFoundError`` for an unknown zone.
    """
    if granularity not in _LONGEST_MS:
        raise ValueError(f"unknown granularity {granularity!r}")
    zone = ZoneInfo(tz)
    if to_ms <= from_ms:
        return ()
    if (to_ms - from_ms) // _LONGEST_MS[granularity] > max_buckets + 1:
        raise _too_large(granularity, max_buckets, from_ms, to_ms)
    buckets: list[Bucket] = []
    starts = (
        _hour_starts(from_ms, zone)
        if granularity == "hour"
        else _day_starts(from_ms, zone, granularity)
    )
    start = next(starts)
    while start < to_ms:
        end = next(starts)
        if len(buckets) == max_buckets:
            raise _too_large(granularity, max_buckets, from_ms, to_ms)
        buckets.append(Bucket(start, end, _offset_minutes(start, zone)))
        start = end
    return tuple(buckets)


def clock_hours(buckets: Sequence[Bucket]) -> bool:
    """Whether hour ``buckets`` are all local clock hours, as ClickHouse's ``toStartOfHour`` in
    the zone finds them: false only around a non-whole-hour offset change."""
    return all(
        b.end_ms - b.start_ms == _HOUR_MS
        and (b.start_ms + b.offset_minutes * 60_000) % _HOUR_MS == 0
        for b in buckets
    )


def _too_large(granularity: str, limit: int, from_ms: int, to_ms: int) -> GridTooLargeError:
    coarser = {"hour": "day", "day": "week", "week": "month"}.get(granularity)
    hint = f"; try granularity {coarser}" if coarser else "; try a shorter range"
    return GridTooLargeError(
        f"the range needs more than {limit} {granularity} buckets{hint}",
        limit=limit,
        granularity=granularity,
        from_ms=from_ms,
        to_ms=to_ms,
    )


def _offset_ms(instant_ms: int, zone: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(instant_ms // 1000, tz=UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) * 1000 if offset is not None else 0


def _offset_minutes(instant_ms: int, zone: ZoneInfo) -> int:
    return _offset_ms(instant_ms, zone) // 60_000


def _hour_start(instant_ms: int, zone: ZoneInfo) -> int:
    return instant_ms - (instant_ms + _offset_ms(instant_ms, zone)) % _HOUR_MS


def _hour_starts(from_ms: int, zone: ZoneInfo) -> Iterator[int]:
    start = _hour_start(from_ms, zone)
    while True:
        following = _hour_start(start + _HOUR_MS, zone)
        # Only a non-whole-hour offset change can pull the next local hour back to ``start``.
        following = following if following > start else start + _HOUR_MS
        if start >= from_ms:
            yield start
        start = following


def _midnight_ms(day: date, zone: ZoneInfo) -> int:
    # fold=0 maps a midnight skipped by a spring-forward to the transition instant, the first
    # instant of that local day (as ClickHouse's toStartOfDay does).
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp() * 1000)


def _first_day(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def _after(day: date, granularity: str) -> date:
    if granularity == "day":
        return day + timedelta(days=1)
    if granularity == "week":
        return day + timedelta(days=7)
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _day_starts(from_ms: int, zone: ZoneInfo, granularity: str) -> Iterator[int]:
    local = datetime.fromtimestamp(from_ms // 1000, tz=UTC).astimezone(zone).date()
    day = _first_day(local, granularity)
    while True:
        start = _midnight_ms(day, zone)
        if start >= from_ms:
            yield start
        day = _after(day, granularity)
