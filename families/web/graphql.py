"""The web family's root fields: ``webMetrics``, ``webBreakdown`` and ``activeVisitors``.

The zone and the engaged ``web.event`` names are the tenant's current settings
(``Services.tenants``) unless the query names a zone; ClickHouse reads run in the thread pool.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.helpdesk.types import instant
from pulse.families.messaging.types import RealtimeSource
from pulse.families.questions import GRANULARITY, TenantId, TimeZone, frame_question
from pulse.families.questions import as_of_ms as judged_at
from pulse.families.web.breakdown import MAX_LIMIT, web_breakdown
from pulse.families.web.live import active_visitors as active_at
from pulse.families.web.model import WebQuery
from pulse.families.web.query import web_answer
from pulse.families.web.types import (
    ActiveVisitors,
    WebBreakdown,
    WebDimension,
    WebFilters,
    WebMetrics,
    breakdown_row,
    bucket,
    filters_of,
    totals,
)
from pulse.graphql.arguments import time_zone, window_ms
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.permissions import CanView
from pulse.graphql.types import Granularity

From = Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")]
To = Annotated[datetime, strawberry.argument(description="Exclusive.")]
AsOf = Annotated[
    datetime | None, strawberry.argument(description="The instant of the answer; defaults to now.")
]
Filters = Annotated[
    WebFilters | None, strawberry.argument(description="Only what matches every filter given.")
]


async def web_metrics(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    granularity: Granularity,
    as_of: AsOf = None,
    time_zone_: TimeZone = None,
    filters: Filters = None,
    tenant_id: TenantId = None,
) -> WebMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, as_of, time_zone_)
    question = WebQuery(
        tenant_id=q.tenant,
        from_ms=q.buckets[0].start_ms,
        to_ms=q.buckets[-1].end_ms,
        time_zone=q.zone,
        granularity=GRANULARITY[granularity],
        buckets=q.buckets,
        engaged=q.settings.engaged_events,
        filters=filters_of(filters),
    )
    answer = await run_in_threadpool(web_answer, info.context.services.clickhouse, question)
    return WebMetrics(
        tenant_id=q.tenant,
        time_zone=q.zone,
        granularity=granularity,
        as_of=instant(q.as_of_ms),
        engaged_events=list(q.settings.engaged_events),
        buckets=[bucket(b, c) for b, c in zip(q.buckets, answer.buckets, strict=True)],
        totals=totals(answer.totals),
    )


async def web_breakdown_field(
    info: Info[ApiContext, None],
    dimension: WebDimension,
    from_: From,
    to: To,
    time_zone_: TimeZone = None,
    filters: Filters = None,
    limit: Annotated[
        int, strawberry.argument(description=f"At most this many rows (1 to {MAX_LIMIT}).")
    ] = 10,
    tenant_id: TenantId = None,
) -> WebBreakdown | None:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgumentError(
            f"'limit' must be between 1 and {MAX_LIMIT}.",
            suggestion="Ask for the top rows only; filters narrow the rest.",
            argument="limit",
        )
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
    rows = await run_in_threadpool(
        web_breakdown, services.clickhouse, question, dimension.value, limit
    )
    return WebBreakdown(
        tenant_id=tenant, dimension=dimension, rows=[breakdown_row(r) for r in rows]
    )


async def active_visitors(
    info: Info[ApiContext, None], as_of: AsOf = None, tenant_id: TenantId = None
) -> ActiveVisitors | None:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    services = info.context.services
    now_ms = services.now_ms()
    at = judged_at(services, as_of)
    found = await run_in_threadpool(
        active_at, services.clickhouse, services.realtime, tenant, at, now_ms
    )
    return ActiveVisitors(
        tenant_id=tenant, as_of=instant(at), count=found.count, source=RealtimeSource(found.source)
    )


@strawberry.type
class WebQueries:
    web_metrics: WebMetrics | None = strawberry.field(
        resolver=web_metrics,
        permission_classes=[CanView],
        description=(
            "Web figures of every bucket starting in [from, to) and of the whole range, in the"
            " tenant's zone (or timeZone): page views, visitors, sessions, bounce rate, session"
            " length."
        ),
    )
    web_breakdown: WebBreakdown | None = strawberry.field(
        resolver=web_breakdown_field,
        permission_classes=[CanView],
        description=(
            "The top values of a dimension over [from, to) with their visitors, page views,"
            " sessions, bounce rate and session length (Plausible's breakdowns)."
        ),
    )
    active_visitors: ActiveVisitors | None = strawberry.field(
        resolver=active_visitors,
        permission_classes=[CanView],
        description=(
            "Distinct non-dnt visitors with an event in (asOf - 5 min, asOf]: the sink's live set"
            " in Redis when asOf is now, else ClickHouse."
        ),
    )
