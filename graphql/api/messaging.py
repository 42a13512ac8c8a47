"""Assembles the buckets of ``messagingMetrics`` from the counter and FRT reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from pulse.graphql.numbers import mean_seconds, ms_to_seconds
from pulse.graphql.queries import (
    CounterRow,
    FrtRow,
    Reader,
    Window,
    bucket_ends,
    counter_buckets,
    frt_buckets,
)
from pulse.graphql.types import FirstResponse, MessagingBucket
from pulse.messaging import COUNTERS

_NO_COUNTS = dict.fromkeys(COUNTERS, 0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = timedelta(days=1)


def messaging_buckets(db: Reader, window: Window) -> list[MessagingBucket]:
    """Every bucket of ``window`` with counters or first responses, oldest first."""
    counters = {row.start_ms: row for row in counter_buckets(db, window)}
    frts = {row.start_ms: row for row in frt_buckets(db, window)}
    ends = {start: row.end_ms for start, row in counters.items()}
    if set(frts) - set(ends):
        # A first reply is itself a counted message.sent, so its bucket's end is known from the
        # counters of any channel; the filtered read may just not include that channel.
        ends.update(bucket_ends(db, window))
    return [
        _bucket(start, ends.get(start), counters.get(start), frts.get(start), window.granularity)
        for start in sorted(set(counters) | set(frts))
    ]


def _bucket(
    start_ms: int,
    end_ms: int | None,
    counts: CounterRow | None,
    frt: FrtRow | None,
    granularity: str,
) -> MessagingBucket:
    start = _instant(start_ms)
    end = _instant(end_ms) if end_ms is not None else nominal_end(start, granularity)
    return MessagingBucket(
        start=start,
        end=end,
        first_response=_first_response(frt),
        **(counts.counts if counts is not None else _NO_COUNTS),
    )


def _first_response(frt: FrtRow | None) -> FirstResponse:
    if frt is None:
        return FirstResponse(
            conversations=0, frt_avg_seconds=None, frt_p50_seconds=None, frt_p90_seconds=None
        )
    return FirstResponse(
        conversations=frt.conversations,
        frt_avg_seconds=mean_seconds(frt.total_ms, frt.conversations),
        frt_p50_seconds=ms_to_seconds(frt.p50_ms),
        frt_p90_seconds=ms_to_seconds(frt.p90_ms),
    )


def nominal_end(start: datetime, granularity: str) -> datetime:
    """A bucket's end when no counter row states it: its nominal length, blind to DST changes.

    A bucket starts at a local midnight (or hour), so the start's time of day gives the zone's
    offset at that moment; the end is one local hour, day, week or calendar month later.
    """
    if granularity == "hour":
        return start + timedelta(hours=1)
    if granularity == "day":
        return start + _DAY
    if granularity == "week":
        return start + 7 * _DAY
    since_midnight = timedelta(hours=start.hour, minutes=start.minute, seconds=start.second)
    offset = -since_midnight if since_midnight <= timedelta(hours=12) else _DAY - since_midnight
    local = start.astimezone(timezone(offset))
    year, month = divmod(local.month, 12)
    return local.replace(year=local.year + year, month=month + 1).astimezone(UTC)


def _instant(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)
