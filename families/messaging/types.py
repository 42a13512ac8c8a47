"""The messaging family's GraphQL types: METRICS.md §3 Messaging's figures in camelCase.

Rates derive from the counts at read time (METRICS.md §4 Numbers).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from enum import Enum

import strawberry

from pulse.families.freshness import Fresh, ProvisionalBucket
from pulse.families.helpdesk.model import Bucket, HelpdeskFigures
from pulse.families.messaging import model
from pulse.graphql.arguments import EPOCH
from pulse.graphql.numbers import rate
from pulse.graphql.types import Granularity


@strawberry.enum(description="Where a realtime answer came from.")
class RealtimeSource(Enum):
    REDIS = "redis"
    CLICKHOUSE = "clickhouse"


def _delivery_rate(root: MessagingCounts) -> float | None:
    return rate(root.delivered, root.sent)


def _read_rate(root: MessagingCounts) -> float | None:
    return rate(root.read, root.delivered)


def _click_rate(root: MessagingCounts) -> float | None:
    return rate(root.clicked, root.delivered)


def _failure_rate(root: MessagingCounts) -> float | None:
    return rate(root.failed, root.sent)


@strawberry.interface(
    description=(
        "Messaging event counts, and rates as percentages rounded half away from zero to 2"
        " decimals: null when the denominator is 0."
    )
)
class MessagingCounts:
    sent: int
    delivered: int
    read: int
    clicked: int
    failed: int
    complained: int
    unsubscribed: int
    received: int

    delivery_rate: float | None = strawberry.field(
        resolver=_delivery_rate, description="delivered / sent, in percent."
    )
    read_rate: float | None = strawberry.field(
        resolver=_read_rate, description="read / delivered, in percent (open rate)."
    )
    click_rate: float | None = strawberry.field(
        resolver=_click_rate, description="clicked / delivered, in percent."
    )
    failure_rate: float | None = strawberry.field(
        resolver=_failure_rate, description="failed / sent, in percent (bounce rate)."
    )


@strawberry.type(
    description=(
        "First response time of the conversations whose first agent reply fell in the bucket"
        " (helpdesk's definition, filed under the conversation's channel and org unit)."
        " Seconds; null when no conversation was first answered in it."
    )
)
class FirstResponse:
    conversations: int
    frt_avg_seconds: float | None = strawberry.field(
        description="Mean, rounded half away from zero to 3 decimals."
    )
    frt_p50_seconds: float | None = strawberry.field(
        description="Exact nearest-rank median: the value at rank ceil(0.5·n)."
    )
    frt_p90_seconds: float | None = strawberry.field(
        description="Exact nearest-rank 90th percentile: the value at rank ceil(0.9·n)."
    )


_FIRST_RESPONSE_HELP = (
    "Null under a campaign, template, workflow or sequence filter: a first response belongs to"
    " a conversation, not to a campaign's messages."
)


@strawberry.type(description="One bucket [start, end) of the local calendar of the zone.")
class MessagingBucket(MessagingCounts, ProvisionalBucket):
    start: datetime = strawberry.field(description="Inclusive start, ISO-8601 in UTC.")
    end: datetime = strawberry.field(description="Exclusive end, ISO-8601 in UTC.")
    local_start: datetime = strawberry.field(
        description="The start on the zone's clock, with its offset (2026-10-25T01:00:00+01:00)."
    )
    first_response: FirstResponse | None = strawberry.field(description=_FIRST_RESPONSE_HELP)


@strawberry.type(description="The counts and rates of the whole range.")
class MessagingTotals(MessagingCounts):
    first_response: FirstResponse | None = strawberry.field(description=_FIRST_RESPONSE_HELP)


@strawberry.type
class MessagingMetrics(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone the buckets follow.")
    granularity: Granularity
    as_of: datetime = strawberry.field(
        description="The instant first responses are judged at (counts are of stored events)."
    )
    buckets: list[MessagingBucket] = strawberry.field(
        description="Every bucket starting in [from, to), oldest first; empty ones as zeros."
    )
    totals: MessagingTotals


@strawberry.type(description="One channel's counts in the current hour.")
class RealtimeChannel(MessagingCounts):
    channel: str


@strawberry.type(description="Every channel's counts in the current hour, summed.")
class RealtimeTotal(MessagingCounts):
    pass


@strawberry.type(description="The current local hour's messaging counts, by channel and in total.")
class RealtimeMessaging(Fresh):
    tenant_id: str
    as_of: datetime
    source: RealtimeSource = strawberry.field(
        description=(
            "REDIS when every slot of the hour with events came from Redis; CLICKHOUSE when"
            " some did (or nothing was found anywhere)."
        )
    )
    channels: list[RealtimeChannel]
    total: RealtimeTotal = strawberry.field(description="All channels summed.")


def instant(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def first_response(figures: HelpdeskFigures | None) -> FirstResponse | None:
    if figures is None:
        return None
    return FirstResponse(
        conversations=figures.first_responses,
        frt_avg_seconds=figures.frt_avg_seconds,
        frt_p50_seconds=figures.frt_p50_seconds,
        frt_p90_seconds=figures.frt_p90_seconds,
    )


def bucket(
    grid_bucket: Bucket, counts: model.MessagingCounts, frt: HelpdeskFigures | None
) -> MessagingBucket:
    offset = timezone(timedelta(minutes=grid_bucket.offset_minutes))
    return MessagingBucket(
        start=instant(grid_bucket.start_ms),
        end=instant(grid_bucket.end_ms),
        local_start=instant(grid_bucket.start_ms).astimezone(offset),
        first_response=first_response(frt),
        **asdict(counts),
    )


def totals(counts: model.MessagingCounts, frt: HelpdeskFigures | None) -> MessagingTotals:
    return MessagingTotals(first_response=first_response(frt), **asdict(counts))


def realtime_counts(counts: model.MessagingCounts) -> dict[str, int]:
    return asdict(counts)
