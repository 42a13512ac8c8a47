"""The GraphQL types the API answers with (Strawberry); rates derive from counts at read time."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from pulse.graphql.numbers import rate


@strawberry.enum(description="Bucket size; buckets follow the tenant's time zone.")
class Granularity(Enum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


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
        "Messaging event counts of one bucket, and rates as percentages rounded half away from"
        " zero to 2 decimals: null when the denominator is 0."
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
        " (by their channel). Seconds; null when no conversation was first answered in it."
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


@strawberry.type(description="One bucket [start, end) of the tenant's local calendar.")
class MessagingBucket(MessagingCounts):
    start: datetime = strawberry.field(description="Inclusive start, ISO-8601 in UTC.")
    end: datetime = strawberry.field(
        description=(
            "Exclusive end, ISO-8601 in UTC, as the counters state it (a local day lasts 23 or"
            " 25 h around a DST change). A bucket with first responses but no counter yet gets"
            " its nominal length."
        )
    )
    first_response: FirstResponse


@strawberry.type
class MessagingMetrics:
    tenant_id: str
    granularity: Granularity
    buckets: list[MessagingBucket] = strawberry.field(
        description=(
            "Buckets whose start lies in [from, to) and that hold data (a counter or a first"
            " response), oldest first. Buckets without data are left out, not reported as zeros."
        )
    )


@strawberry.type(description="One channel's counts in the current hour.")
class RealtimeChannel(MessagingCounts):
    channel: str


@strawberry.type(description="Every channel's counts in the current hour, summed.")
class RealtimeTotal(MessagingCounts):
    pass


@strawberry.type(description="The current local hour's messaging counts, by channel and in total.")
class RealtimeMessaging:
    tenant_id: str
    as_of: datetime
    source: RealtimeSource
    channels: list[RealtimeChannel]
    total: RealtimeTotal = strawberry.field(description="All channels summed.")
