"""The helpdesk family's GraphQL types: METRICS.md §3 Helpdesk's figures in camelCase."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from enum import Enum

import strawberry

from pulse.families.freshness import Fresh, ProvisionalBucket
from pulse.families.helpdesk import model
from pulse.graphql.arguments import EPOCH
from pulse.graphql.types import Granularity


@strawberry.enum(description="A conversation's priority (from its conversation.created).")
class Priority(Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


@strawberry.interface(
    name="HelpdeskFigures",
    description=(
        "METRICS.md §3 Helpdesk. Rates in percent rounded half away from zero to 2 decimals,"
        " means in seconds to 3 decimals, percentiles exact nearest-rank; null when there is"
        " nothing to compute them from."
    ),
)
class Figures:
    conversations_created: int
    conversations_resolved: int
    conversations_reopened: int
    first_responses: int = strawberry.field(
        description="Conversations whose first agent reply fell here (their FRT is counted here)."
    )
    frt_avg_seconds: float | None
    frt_p50_seconds: float | None
    frt_p90_seconds: float | None
    resolutions: int = strawberry.field(
        description="Resolutions with a resolution time (creation known, resolved after it)."
    )
    resolution_avg_seconds: float | None
    resolution_p50_seconds: float | None
    resolution_p90_seconds: float | None
    sla_met: int = strawberry.field(description="First agent replies at or before the deadline.")
    sla_breached: int = strawberry.field(
        description="Deadlines at or before asOf that passed without an agent reply."
    )
    sla_breach_rate: float | None = strawberry.field(
        description="slaBreached / (slaMet + slaBreached), in percent."
    )
    backlog: int = strawberry.field(
        description="Open conversations at the end (created + reopened - resolved, cumulative)."
    )
    csat_responses: int
    csat_avg: float | None
    csat_percent: float | None = strawberry.field(description="Share of scores ≥ 4, in percent.")


@strawberry.type(description="One bucket [start, end) of the local calendar of the zone.")
class HelpdeskBucket(Figures, ProvisionalBucket):
    start: datetime = strawberry.field(description="Inclusive start, ISO-8601 in UTC.")
    end: datetime = strawberry.field(description="Exclusive end, ISO-8601 in UTC.")
    local_start: datetime = strawberry.field(
        description="The start on the zone's clock, with its offset (2026-10-25T01:00:00+01:00)."
    )


@strawberry.type(description="The figures of the whole range; backlog at its end.")
class HelpdeskTotals(Figures):
    pass


@strawberry.type
class HelpdeskMetrics(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone the buckets follow.")
    granularity: Granularity
    as_of: datetime = strawberry.field(description="The instant SLA deadlines are judged at.")
    buckets: list[HelpdeskBucket] = strawberry.field(
        description="Every bucket starting in [from, to), oldest first; empty ones as zeros."
    )
    totals: HelpdeskTotals


@strawberry.type(name="UnansweredConversation")
class Unanswered:
    conversation_id: str
    created_at: datetime
    age_seconds: float = strawberry.field(description="asOf - createdAt.")
    channel: str
    priority: Priority
    deadline: datetime = strawberry.field(description="createdAt + the priority's SLA target.")
    breached: bool = strawberry.field(description="The deadline is at or before asOf.")
    at_risk: bool = strawberry.field(description="Not breached; the deadline is within the margin.")


def instant(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def bucket(grid_bucket: model.Bucket, figures: model.HelpdeskFigures) -> HelpdeskBucket:
    offset = timezone(timedelta(minutes=grid_bucket.offset_minutes))
    return HelpdeskBucket(
        start=instant(grid_bucket.start_ms),
        end=instant(grid_bucket.end_ms),
        local_start=instant(grid_bucket.start_ms).astimezone(offset),
        **asdict(figures),
    )


def totals(figures: model.HelpdeskFigures) -> HelpdeskTotals:
    return HelpdeskTotals(**asdict(figures))


def unanswered(conversation: model.UnansweredConversation) -> Unanswered:
    return Unanswered(
        conversation_id=conversation.conversation_id,
        created_at=instant(conversation.created_at_ms),
        age_seconds=conversation.age_ms / 1000,
        channel=conversation.channel,
        priority=Priority(conversation.priority),
        deadline=instant(conversation.deadline_ms),
        breached=conversation.breached,
        at_risk=conversation.at_risk,
    )
