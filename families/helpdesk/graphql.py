"""The helpdesk family's root fields: ``helpdeskMetrics`` and ``unansweredConversations``.

The zone and SLA targets are the tenant's current settings (``Services.tenants``) unless the
query names a zone; ClickHouse reads run in the thread pool, as messaging's do.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.helpdesk import model
from pulse.families.helpdesk.types import (
    HelpdeskMetrics,
    Priority,
    Unanswered,
    bucket,
    instant,
    totals,
    unanswered,
)
from pulse.families.questions import GRANULARITY, TenantId, TimeZone, frame_question
from pulse.families.questions import as_of_ms as judged_at
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.permissions import CanViewInScope, org_unit_scope
from pulse.graphql.types import Granularity

_AS_OF_HELP = "The instant SLA deadlines are judged at; defaults to now."
MAX_UNANSWERED = 1000

AsOf = Annotated[datetime | None, strawberry.argument(description=_AS_OF_HELP)]
Channel = Annotated[str | None, strawberry.argument(description="Only this channel.")]
OrgUnit = Annotated[
    str | None, strawberry.argument(description="Only conversations of this org unit.")
]
Agent = Annotated[
    str | None,
    strawberry.argument(
        description="Only conversations of this agent: the latest assignee, else the creator's"
        " agent, else the first replying agent."
    ),
]
PriorityFilter = Annotated[Priority | None, strawberry.argument(description="Only this priority.")]


async def helpdesk_metrics(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    granularity: Granularity,
    as_of: AsOf = None,
    time_zone_: TimeZone = None,
    channel: Channel = None,
    org_unit: OrgUnit = None,
    agent: Agent = None,
    priority: PriorityFilter = None,
    tenant_id: TenantId = None,
) -> HelpdeskMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, as_of, time_zone_)
    tenant, settings, zone, as_of_ms, buckets = q.tenant, q.settings, q.zone, q.as_of_ms, q.buckets
    services = info.context.services
    scope = org_unit_scope(info.context.claims, org_unit)
    question = model.HelpdeskQuery(
        tenant_id=tenant,
        buckets=buckets,
        time_zone=zone,
        granularity=GRANULARITY[granularity],
        as_of_ms=as_of_ms,
        sla_ms=settings.sla_ms,
        channel=channel,
        org_unit=scope.org_unit,
        agent=agent,
        priority=None if priority is None else priority.value,
        org_units=scope.among,
    )
    answer = await run_in_threadpool(services.helpdesk.answer, services.clickhouse, question)
    return HelpdeskMetrics(
        tenant_id=tenant,
        time_zone=zone,
        granularity=granularity,
        as_of=instant(as_of_ms),
        buckets=[bucket(b, f) for b, f in zip(buckets, answer.buckets, strict=True)],
        totals=totals(answer.totals),
    )


async def unanswered_conversations(
    info: Info[ApiContext, None],
    as_of: AsOf = None,
    at_risk_minutes: Annotated[
        int,
        strawberry.argument(description="At risk: the deadline is within this many minutes."),
    ] = 30,
    limit: Annotated[
        int, strawberry.argument(description=f"At most this many (1 to {MAX_UNANSWERED}).")
    ] = 100,
    channel: Channel = None,
    org_unit: OrgUnit = None,
    agent: Agent = None,
    priority: PriorityFilter = None,
    tenant_id: TenantId = None,
) -> list[Unanswered] | None:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    if at_risk_minutes < 0:
        raise InvalidArgumentError(
            "'atRiskMinutes' must not be negative.",
            suggestion="Give the margin before a deadline in minutes, e.g. 30.",
            argument="atRiskMinutes",
        )
    if not 1 <= limit <= MAX_UNANSWERED:
        raise InvalidArgumentError(
            f"'limit' must be between 1 and {MAX_UNANSWERED}.",
            suggestion="The list is oldest first: ask for fewer and page by asOf if needed.",
            argument="limit",
        )
    services = info.context.services
    scope = org_unit_scope(info.context.claims, org_unit)
    as_of_ms = judged_at(services, as_of)
    settings = services.tenants.settings_for(tenant)
    rows = await run_in_threadpool(
        functools.partial(
            services.helpdesk.unanswered,
            channel=channel,
            org_unit=scope.org_unit,
            agent=agent,
            priority=None if priority is None else priority.value,
            org_units=scope.among,
        ),
        services.clickhouse,
        tenant,
        as_of_ms,
        settings.sla_ms,
        at_risk_minutes * 60_000,
        limit,
    )
    return [unanswered(row) for row in rows]


@strawberry.type
class HelpdeskQueries:
    helpdesk_metrics: HelpdeskMetrics | None = strawberry.field(
        resolver=helpdesk_metrics,
        permission_classes=[CanViewInScope],
        description=(
            "Helpdesk figures of every bucket starting in [from, to) and of the whole range,"
            " in the tenant's zone (or timeZone), SLA judged at asOf against its targets."
        ),
    )
    unanswered_conversations: list[Unanswered] | None = strawberry.field(
        resolver=unanswered_conversations,
        permission_classes=[CanViewInScope],
        description=(
            "Open conversations without a first agent reply at asOf, oldest first, with their"
            " SLA deadline: breached, or at risk within atRiskMinutes."
        ),
    )
