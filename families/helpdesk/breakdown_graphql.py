"""The root field ``helpdeskBreakdown``: helpdesk figures by one or two dimensions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

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
from pulse.families.breakdowns.spec import Group
from pulse.families.freshness import Fresh
from pulse.families.helpdesk import model
from pulse.families.helpdesk.breakdown import figures, helpdesk_breakdown
from pulse.families.helpdesk.graphql import Agent, AsOf, Channel, OrgUnit, PriorityFilter
from pulse.families.helpdesk.types import Figures, instant
from pulse.families.questions import TenantId, TimeZone
from pulse.families.questions import as_of_ms as judged_at
from pulse.graphql.arguments import time_zone, window_ms
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.permissions import CanViewInScope, org_unit_scope


@strawberry.enum(
    description=(
        "What helpdesk figures can be grouped by: the conversation's, or the zone's local"
        " bucket each figure lands in (as helpdeskMetrics buckets it)."
    )
)
class HelpdeskDimension(Enum):
    CHANNEL = "channel"
    ORG_UNIT = "org_unit"
    AGENT = "agent"
    PRIORITY = "priority"
    HOUR = strawberry.enum_value(
        "hour", description="The local clock hour, with its offset (2026-11-01T01:00:00-0400)."
    )
    DAY = strawberry.enum_value("day", description="The local date (YYYY-MM-DD) in the zone.")
    WEEK = strawberry.enum_value(
        "week", description="The local date (YYYY-MM-DD) of the week's Monday in the zone."
    )


_TIMES = {HelpdeskDimension.HOUR, HelpdeskDimension.DAY, HelpdeskDimension.WEEK}


@strawberry.enum(description="The helpdesk figures a breakdown can be sorted by.")
class HelpdeskFigure(Enum):
    CONVERSATIONS_CREATED = "conversations_created"
    CONVERSATIONS_RESOLVED = "conversations_resolved"
    CONVERSATIONS_REOPENED = "conversations_reopened"
    FIRST_RESPONSES = "first_responses"
    FRT_AVG_SECONDS = "frt_avg_seconds"
    FRT_P50_SECONDS = "frt_p50_seconds"
    FRT_P90_SECONDS = "frt_p90_seconds"
    RESOLUTIONS = "resolutions"
    RESOLUTION_AVG_SECONDS = "resolution_avg_seconds"
    RESOLUTION_P50_SECONDS = "resolution_p50_seconds"
    RESOLUTION_P90_SECONDS = "resolution_p90_seconds"
    SLA_MET = "sla_met"
    SLA_BREACHED = "sla_breached"
    SLA_BREACH_RATE = "sla_breach_rate"
    BACKLOG = "backlog"
    CSAT_RESPONSES = "csat_responses"
    CSAT_AVG = "csat_avg"
    CSAT_PERCENT = "csat_percent"


@strawberry.type(description="One group of a helpdesk breakdown: its dimension values, figures.")
class HelpdeskBreakdownRow(Figures):
    keys: list[DimensionValue] = strawberry.field(
        description="One per dimension of `by`, in order."
    )


@strawberry.type(
    description=(
        "The figures of several groups at once (the rest after the rows, or all of them),"
        " computed over their conversations: means, rates and percentiles are exact, not"
        " combined from rows."
    )
)
class HelpdeskBreakdownGroups(Figures):
    groups: int = strawberry.field(description="How many groups it holds.")
    backlog: int = strawberry.field(
        description=(
            "Open conversations at the range's end; for `other` of a breakdown by HOUR, DAY or"
            " WEEK (whose groups end at different instants), what its buckets added to the"
            " backlog: created + reopened - resolved landing in them."
        )
    )


@strawberry.type
class HelpdeskBreakdown(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone of the HOUR, DAY and WEEK values.")
    as_of: datetime = strawberry.field(description="The instant SLA deadlines are judged at.")
    by: list[HelpdeskDimension]
    sort_by: HelpdeskFigure
    descending: bool
    rows: list[HelpdeskBreakdownRow] = strawberry.field(
        description="The first `limit` groups in the order asked."
    )
    other: HelpdeskBreakdownGroups | None = strawberry.field(
        description="Every group after the rows, folded into one; null when none is left."
    )
    total: HelpdeskBreakdownGroups = strawberry.field(
        description=(
            "The whole range under the filters (helpdeskMetrics' totals): the rows' and"
            " `other`'s counts and backlogs add up to it."
        )
    )


def _figures(group: Group) -> dict[str, Any]:
    return asdict(figures(group))


async def helpdesk_breakdown_field(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    by: Annotated[list[HelpdeskDimension], by_argument()],
    sort_by: Annotated[HelpdeskFigure, sort_argument()] = HelpdeskFigure.CONVERSATIONS_CREATED,
    descending: Descending = True,
    limit: Limit = 10,
    as_of: AsOf = None,
    time_zone_: TimeZone = None,
    channel: Channel = None,
    org_unit: OrgUnit = None,
    agent: Agent = None,
    priority: PriorityFilter = None,
    tenant_id: TenantId = None,
) -> HelpdeskBreakdown | None:
    request = request_of(by, sort_by, descending, limit)
    if len(_TIMES.intersection(by)) > 1:
        raise InvalidArgumentError(
            "'by' names two of HOUR, DAY and WEEK.",
            suggestion="Group by one of them, alone or with a conversation's dimension.",
            argument="by",
        )
    tenant = scoped_tenant(info.context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    services = info.context.services
    settings = services.tenants.settings_for(tenant)
    zone = settings.timezone if time_zone_ is None else time_zone(time_zone_)
    as_of_ms = judged_at(services, as_of)
    scope = org_unit_scope(info.context.claims, org_unit)
    question = model.HelpdeskQuery(
        tenant_id=tenant,
        # One bucket spanning the range: a breakdown has no grid; the zone places its times.
        buckets=(model.Bucket(from_ms, to_ms, 0),),
        time_zone=zone,
        granularity="day",
        as_of_ms=as_of_ms,
        sla_ms=settings.sla_ms,
        channel=channel,
        org_unit=scope.org_unit,
        agent=agent,
        priority=None if priority is None else priority.value,
        org_units=scope.among,
    )
    answer = await run_in_threadpool(helpdesk_breakdown, services.clickhouse, question, request)
    return HelpdeskBreakdown(
        tenant_id=tenant,
        time_zone=zone,
        as_of=instant(as_of_ms),
        by=list(by),
        sort_by=sort_by,
        descending=descending,
        **answer_fields(
            answer, HelpdeskDimension, _figures, HelpdeskBreakdownRow, HelpdeskBreakdownGroups
        ),
    )


@strawberry.type
class HelpdeskBreakdownQueries:
    helpdesk_breakdown: HelpdeskBreakdown | None = strawberry.field(
        resolver=helpdesk_breakdown_field,
        permission_classes=[CanViewInScope],
        description=(
            "Helpdesk figures over [from, to) grouped by one or two of the conversations'"
            " dimensions and the local hour, day or week (in the tenant's zone, or timeZone),"
            " sorted by a figure: the top `limit` groups, the rest folded into `other`, and the"
            " total; SLA judged at asOf against the tenant's targets."
        ),
    )
