"""The web family's GraphQL types: METRICS.md §3 Web's figures in camelCase."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import TypedDict

import strawberry

from pulse.families.freshness import Fresh, ProvisionalBucket
from pulse.families.helpdesk.model import Bucket
from pulse.families.helpdesk.types import instant
from pulse.families.messaging.types import RealtimeSource
from pulse.families.web import model
from pulse.graphql.numbers import mean_seconds, rate
from pulse.graphql.types import Granularity


@strawberry.enum(description="A dimension web figures are broken down by and filtered on.")
class WebDimension(Enum):
    PAGE = "page"
    ENTRY_PAGE = "entry_page"
    REFERRER = "referrer"
    UTM_SOURCE = "utm_source"
    UTM_MEDIUM = "utm_medium"
    UTM_CAMPAIGN = "utm_campaign"
    DEVICE = "device"
    BROWSER = "browser"
    OS = "os"
    COUNTRY = "country"


@strawberry.input(
    description=(
        "Equality filters, all applied together to every figure. page: page views of that page,"
        " visitors who viewed it, sessions that viewed it; the others are a session's (from its"
        " entry event; entryPage: its first page view) and keep whole sessions; a dnt page view"
        " (no session) is matched on its own fields."
    )
)
class WebFilters:
    page: str | None = None
    entry_page: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    device: str | None = None
    browser: str | None = None
    os: str | None = None
    country: str | None = None


def filters_of(given: WebFilters | None) -> dict[model.Dimension, str]:
    if given is None:
        return {}
    return {d: v for d in model.DIMENSIONS if (v := getattr(given, d)) is not None}


@strawberry.interface(
    name="WebFigures",
    description=(
        "METRICS.md §3 Web. Sessions belong to the bucket of their first event, with all their"
        " page views and their whole length; rates in percent (2 decimals, half away from zero),"
        " means in seconds (3 decimals); null when there is nothing to compute them from."
    ),
)
class Figures:
    page_views: int = strawberry.field(description="Every web.page_view, dnt ones included.")
    visitors: int = strawberry.field(description="Distinct visitors (exact), dnt excluded.")
    sessions: int
    bounce_rate: float | None = strawberry.field(
        description=(
            "Sessions with exactly one page view and none of the tenant's engaged web.events,"
            " over sessions."
        )
    )
    avg_session_seconds: float | None = strawberry.field(
        description="Mean of (last event - first event) per session."
    )


@strawberry.type(description="One bucket [start, end) of the local calendar of the zone.")
class WebBucket(Figures, ProvisionalBucket):
    start: datetime = strawberry.field(description="Inclusive start, ISO-8601 in UTC.")
    end: datetime = strawberry.field(description="Exclusive end, ISO-8601 in UTC.")
    local_start: datetime = strawberry.field(description="The start on the zone's clock.")


@strawberry.type(description="The figures of the whole range (visitors distinct over it).")
class WebTotals(Figures):
    pass


@strawberry.type
class WebMetrics(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone the buckets follow.")
    granularity: Granularity
    as_of: datetime = strawberry.field(
        description="The instant of the answer; web figures count every event stored by then."
    )
    engaged_events: list[str] = strawberry.field(
        description="The tenant's web.event names that made a session engaged (not a bounce)."
    )
    buckets: list[WebBucket] = strawberry.field(
        description="Every bucket starting in [from, to), oldest first; empty ones as zeros."
    )
    totals: WebTotals


@strawberry.type(description="One value of the dimension and its figures.")
class WebBreakdownRow(Figures):
    value: str = strawberry.field(description="The dimension's value; '' when events had none.")


@strawberry.type
class WebBreakdown(Fresh):
    tenant_id: str
    dimension: WebDimension
    rows: list[WebBreakdownRow] = strawberry.field(
        description="By visitors, then page views (descending), then value."
    )


@strawberry.type(description="Distinct non-dnt visitors with an event in (asOf - 5 min, asOf].")
class ActiveVisitors(Fresh):
    tenant_id: str
    as_of: datetime
    count: int
    source: RealtimeSource = strawberry.field(
        description="REDIS when the sink's live set answered; CLICKHOUSE otherwise."
    )


class FigureValues(TypedDict):
    page_views: int
    visitors: int
    sessions: int
    bounce_rate: float | None
    avg_session_seconds: float | None


def figure_values(counts: model.WebCounts) -> FigureValues:
    return {
        "page_views": counts.page_views,
        "visitors": counts.visitors,
        "sessions": counts.sessions,
        "bounce_rate": rate(counts.bounces, counts.sessions),
        "avg_session_seconds": mean_seconds(counts.length_ms, counts.sessions),
    }


def bucket(grid_bucket: Bucket, counts: model.WebCounts) -> WebBucket:
    offset = timezone(timedelta(minutes=grid_bucket.offset_minutes))
    return WebBucket(
        start=instant(grid_bucket.start_ms),
        end=instant(grid_bucket.end_ms),
        local_start=instant(grid_bucket.start_ms).astimezone(offset),
        **figure_values(counts),
    )


def totals(counts: model.WebCounts) -> WebTotals:
    return WebTotals(**figure_values(counts))


def breakdown_row(row: model.BreakdownRow) -> WebBreakdownRow:
    return WebBreakdownRow(value=row.value, **figure_values(row.counts))
