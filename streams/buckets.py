"""Time buckets in a tenant's IANA zone: local clock hours, local days, Monday weeks, months.

Every bucket is half-open ``[start_ms, end_ms)`` in UTC milliseconds. Hours are local clock
hours: the hour containing an instant starts where the local clock last read ``HH:00`` under the
offset in force at that instant, so on a fall-back day the two local 01:00 hours are two buckets
with distinct UTC starts, and on a spring-forward day the skipped hour has no bucket. Days, weeks
and months start at local midnight (23 or 25 hours around a change). In a zone whose offset moves
by a non-whole hour (Australia/Lord_Howe; Asia/Kathmandu in 1986) the hour around the change is
not a clock hour; we accept that.

This runs four times per event, so results are cached per zone and 15-minute UTC slot: every
zone offset and transition since 1970 is a multiple of 15 minutes, so all four buckets are the same
for every instant of a slot (pre-1970 local mean times such as Lisbon's -0:36:45 are not).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

Granularity = Literal["hour", "day", "week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("hour", "day", "week", "month")

_HOUR_MS = 3_600_000
_SLOT_MS = 900_000


@lru_cache(maxsize=1024)
def zone(tz: str) -> ZoneInfo:
    """The zone object of an IANA name (cached; raises ``ZoneInfoNotFoundError``)."""
    return ZoneInfo(tz)


@lru_cache(maxsize=65536)
def _local_midnight_ms(tz: str, day: date) -> int:
    # fold=0 maps a midnight skipped by a spring-forward to the transition instant, which is
    # the first instant of that local day.
    start = datetime(day.year, day.month, day.day, tzinfo=zone(tz))
    return int(start.timestamp()) * 1000


def _local(instant_ms: int, tz: str) -> datetime:
    return datetime.fromtimestamp(instant_ms // 1000, tz=UTC).astimezone(zone(tz))


def _hour(instant_ms: int, local: datetime) -> tuple[int, int]:
    offset = local.utcoffset()
    offset_ms = int(offset.total_seconds()) * 1000 if offset is not None else 0
    start = instant_ms - (instant_ms + offset_ms) % _HOUR_MS
    return start, start + _HOUR_MS


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _span(tz: str, first: date, after: date) -> tuple[int, int]:
    return _local_midnight_ms(tz, first), _local_midnight_ms(tz, after)


def _bounds(instant_ms: int, tz: str, granularity: Granularity, local: datetime) -> tuple[int, int]:
    if granularity == "hour":
        return _hour(instant_ms, local)
    today = local.date()
    if granularity == "day":
        return _span(tz, today, today + timedelta(days=1))
    if granularity == "week":
        monday = today - timedelta(days=today.weekday())
        return _span(tz, monday, monday + timedelta(days=7))
    first = today.replace(day=1)
    return _span(tz, first, _next_month(first))


def bucket_bounds(instant_ms: int, tz: str, granularity: Granularity) -> tuple[int, int]:
    """The ``[start_ms, end_ms)`` bucket of ``granularity`` containing ``instant_ms`` in ``tz``."""
    bounds = all_bucket_bounds(instant_ms, tz)
    if granularity not in bounds:
        raise ValueError(f"unknown granularity {granularity!r}")
    return bounds[granularity]


def all_bucket_bounds(instant_ms: int, tz: str) -> dict[Granularity, tuple[int, int]]:
    """The four buckets of an instant (shared, cached: do not mutate the result)."""
    return _slot_bounds(tz, instant_ms // _SLOT_MS)


def slot_of(instant_ms: int) -> int:
    """The 15-minute slot of an instant: every instant of a slot has the same four buckets."""
    return instant_ms // _SLOT_MS


def slot_bounds(tz: str, slot: int) -> dict[Granularity, tuple[int, int]]:
    """The four buckets of every instant of ``slot`` (shared, cached: do not mutate)."""
    return _slot_bounds(tz, slot)


@lru_cache(maxsize=65536)
def _slot_bounds(tz: str, slot: int) -> dict[Granularity, tuple[int, int]]:
    instant_ms = slot * _SLOT_MS
    local = _local(instant_ms, tz)
    return {g: _bounds(instant_ms, tz, g, local) for g in GRANULARITIES}
