"""The root field ``webBreakdownBy``: web figures by one or two dimensions, with the rest and
the total (``webBreakdown`` stays the one-dimension top list served from the rollups)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.breakdowns.graphql import (
    Descending,
    DimensionValue,
    Limit,
    answer_fields,
    by_argument,
    request_of,
    sort_argument,
)
from pulse.families.freshness import Fresh
from pulse.families.questions import TenantId, TimeZone
from pulse.families.web.breakdown_by import counts, web_breakdown_by
from pulse.families.web.graphql import Filters, From, To
from pulse.families.web.model import WebQuery
from pulse.families.web.types import Figures, WebDimension, figure_values, filters_of
from pulse.graphql.arguments import time_zone, window_ms
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.permissions import CanView


@strawberry.enum(description="The web figures a breakdown can be sorted by.")
class WebFigure(Enum):
    PAGE_VIEWS = "page_views"
    VISITORS = "visitors"
    SESSIONS = "sessions"
    BOUNCE_RATE = "bounce_rate"
    AVG_SESSION_SECONDS = "avg_session_seconds"


@strawberry.type(description="One group of a web breakdown: its dimension values and figures.")
class WebBreakdownByRow(Figures):
    keys: list[DimensionValue] = strawberry.field(
        description="One per dimension of `by`, in order."
    )


@strawberry.type(
    description=(
        "The figures of several groups at once (the rest after the rows, or all of them),"
        " computed over their events and sessions: visitors distinct, not summed."
    )
)
class WebBreakdownGroups(Figures):
    groups: int = strawberry.field(description="How many groups it holds.")


@strawberry.type
class WebBreakdownBy(Fresh):
    tenant_id: str
    by: list[WebDimension]
    sort_by: WebFigure
    descending: bool
    rows: list[WebBreakdownByRow] = strawberry.field(
        description="The first `limit` groups in the order asked."
    )
    other: WebBreakdownGroups | None = strawberry.field(
        description="Every group after the rows, folded into one; null when none is left."
    )
    total: WebBreakdownGroups = strawberry.field(
        description=(
            "The whole range under the filters: page views, sessions, bounces and lengths of"
            " the rows and `other` add up to it; visitors are distinct in each."
        )
    )


async def web_breakdown_by_field(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    by: Annotated[list[WebDimension], by_argument()],
    sort_by: Annotated[WebFigure, sort_argument()] = WebFigure.VISITORS,
    descending: Descending = True,
    limit: Limit = 10,
    time_zone_: TimeZone = None,
    filters: Filters = None,
    tenant_id: TenantId = None,
) -> WebBreakdownBy | None:
    request = request_of(by, sort_by, descending, limit)
    tenant = scoped_tenant(info.context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    services = info.context.services
    settings = services.tenants.settings_for(tenant)
    question = WebQuery(
        tenant_id=tenant,
        from_ms=from_ms,
        to_ms=to_ms,
        time_zone=settings.timezone if time_zone_ is None else time_zone(time_zone_),
        engaged=settings.engaged_events,
        filters=filters_of(filters),
    )
    answer = await run_in_threadpool(web_breakdown_by, services.clickhouse, question, request)
    return WebBreakdownBy(
        tenant_id=tenant,
        by=list(by),
        sort_by=sort_by,
        descending=descending,
        **answer_fields(
            answer,
            WebDimension,
            lambda g: figure_values(counts(g)),
            WebBreakdownByRow,
            WebBreakdownGroups,
        ),
    )


@strawberry.type
class WebBreakdownQueries:
    web_breakdown_by: WebBreakdownBy | None = strawberry.field(
        resolver=web_breakdown_by_field,
        permission_classes=[CanView],
        description=(
            "Web figures over [from, to) grouped by one or two dimensions, sorted by a figure:"
            " the top `limit` groups, the rest folded into `other`, and the total."
        ),
    )
