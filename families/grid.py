"""STAND-IN until branch hd-query lands (the lead keeps hd-query's file at merge): the buckets of
a range in a zone, selected by start in ``[from_ms, to_ms)``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pulse.families.errors import GridTooLargeError
from pulse.families.helpdesk.model import Bucket, Granularity


def _local(ms: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)


def _ms(at: datetime) -> int:
    return round(at.timestamp() * 1000)


def _floor(ms: int, granularity: Granularity, zone: ZoneInfo) -> int:
    local = _local(ms, zone)
    if granularity == "hour":
        return _ms(local.replace(minute=0, second=0, microsecond=0))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if granularity == "week":
        day -= timedelta(days=day.weekday())
    elif granularity == "month":
        day = day.replace(day=1)
    return _ms(day.replace(tzinfo=None).replace(tzinfo=zone))


def _next(start: int, granularity: Granularity, zone: ZoneInfo) -> int:
    if granularity == "hour":
        return _floor(start + 3_600_000, granularity, zone)
    local = _local(start, zone).replace(tzinfo=None)
    if granularity == "day":
        following = local + timedelta(days=1)
    elif granularity == "week":
        following = local + timedelta(days=7)
    else:
        following = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _ms(following.replace(tzinfo=zone))


def grid(
    from_ms: int, to_ms: int, granularity: Granularity, tz: str, max_buckets: int
) -> tuple[Bucket, ...]:
    zone = ZoneInfo(tz)
    buckets: list[Bucket] = []
    start = _floor(from_ms, granularity, zone)
    while start < to_ms:
        end = _next(start, granularity, zone)
        if start >= from_ms:
            if len(buckets) == max_buckets:
                raise GridTooLargeError(limit=max_buckets)
            offset = _local(start, zone).utcoffset() or timedelta(0)
            buckets.append(Bucket(start, end, offset // timedelta(minutes=1)))
        start = end
    return tuple(buckets)
