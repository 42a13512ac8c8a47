"""What a helpdesk question is and what its answer holds; the query and the API share these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Granularity = Literal["hour", "day", "week", "month"]
PRIORITIES = ("low", "normal", "high", "urgent")

# METRICS.md §3: first-response targets when a tenant sets none.
DEFAULT_SLA_MS: Mapping[str, int] = {
    "urgent": 15 * 60_000,
    "high": 60 * 60_000,
    "normal": 4 * 60 * 60_000,
    "low": 24 * 60 * 60_000,
}


@dataclass(frozen=True)
class Bucket:
    """One bucket of the grid: ``[start_ms, end_ms)`` in UTC, and its local start's offset."""

    start_ms: int
    end_ms: int
    offset_minutes: int


@dataclass(frozen=True)
class HelpdeskQuery:
    """One tenant's helpdesk figures over ``buckets`` (contiguous, oldest first), judged at
    ``as_of_ms`` against ``sla_ms`` (target by priority), optionally filtered."""

    tenant_id: str
    buckets: tuple[Bucket, ...]
    time_zone: str
    granularity: Granularity
    as_of_ms: int
    sla_ms: Mapping[str, int]
    channel: str | None = None
    org_unit: str | None = None
    agent: str | None = None
    priority: str | None = None
    # Any of these org units (a token confined to several, ``pulse.graphql.permissions``).
    org_units: tuple[str, ...] | None = None

    @property
    def from_ms(self) -> int:
        return self.buckets[0].start_ms

    @property
    def to_ms(self) -> int:
        return self.buckets[-1].end_ms


@dataclass(frozen=True)
class HelpdeskFigures:
    """METRICS.md §3 Helpdesk for one bucket or the totals of a range, final values: rates in
    percent to 2 decimals, means and percentiles in seconds (means to 3 decimals), None where
    there is nothing to compute from. ``backlog`` is the open conversations at the end."""

    conversations_created: int
    conversations_resolved: int
    conversations_reopened: int
    first_responses: int
    frt_avg_seconds: float | None
    frt_p50_seconds: float | None
    frt_p90_seconds: float | None
    resolutions: int
    resolution_avg_seconds: float | None
    resolution_p50_seconds: float | None
    resolution_p90_seconds: float | None
    sla_met: int
    sla_breached: int
    sla_breach_rate: float | None
    backlog: int
    csat_responses: int
    csat_avg: float | None
    csat_percent: float | None


@dataclass(frozen=True)
class HelpdeskAnswer:
    """Figures of every bucket of the query (aligned with its grid) and of the whole range."""

    buckets: tuple[HelpdeskFigures, ...]
    totals: HelpdeskFigures


@dataclass(frozen=True)
class UnansweredConversation:
    """An open conversation without a first agent reply at ``as_of``."""

    conversation_id: str
    created_at_ms: int
    age_ms: int
    channel: str
    priority: str
    deadline_ms: int
    breached: bool
    at_risk: bool
