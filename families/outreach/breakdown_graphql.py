"""The root field ``outreachBreakdown``: campaign and template figures by one or two
dimensions."""

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
from pulse.families.messaging.graphql import Campaign, Channel, Template
from pulse.families.messaging.model import MessagingCounts as Counts
from pulse.families.messaging.types import MessagingCounts
from pulse.families.outreach.breakdown import OutreachQuestion, outreach_breakdown
from pulse.families.questions import TenantId, TimeZone
from pulse.graphql.arguments import time_zone, window_ms
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.permissions import CanView


@strawberry.enum(description="What campaign and template figures can be grouped by.")
class OutreachDimension(Enum):
    CAMPAIGN = "campaign"
    TEMPLATE = "template"
    CHANNEL = "channel"
    DAY = strawberry.enum_value("day", description="The local date (YYYY-MM-DD) in the zone.")


@strawberry.enum(description="The outreach figures a breakdown can be sorted by.")
class OutreachFigure(Enum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    CLICKED = "clicked"
    FAILED = "failed"
    COMPLAINED = "complained"
    UNSUBSCRIBED = "unsubscribed"
    RECEIVED = "received"
    DELIVERY_RATE = "delivery_rate"
    READ_RATE = "read_rate"
    CLICK_RATE = "click_rate"
    FAILURE_RATE = "failure_rate"
    USAGE = "usage"
    CAMPAIGNS_STARTED = "campaigns_started"
    CAMPAIGNS_COMPLETED = "campaigns_completed"


@strawberry.interface(description="Messaging counts and rates, template usage and campaigns.")
class OutreachFigures(MessagingCounts):
    usage: int = strawberry.field(description="message.sent carrying a template.")
    campaigns_started: int = strawberry.field(
        description="Distinct campaigns with a campaign.started here (exact, never summed)."
    )
    campaigns_completed: int = strawberry.field(
        description="Distinct campaigns with a campaign.completed here (exact, never summed)."
    )


@strawberry.type(description="One group of an outreach breakdown: its dimension values, figures.")
class OutreachBreakdownRow(OutreachFigures):
    keys: list[DimensionValue] = strawberry.field(
        description="One per dimension of `by`, in order."
    )


@strawberry.type(
    description=(
        "The figures of several groups at once (the rest after the rows, or all of them),"
        " computed over their messages and events: rates of their counts, distinct campaigns."
    )
)
class OutreachBreakdownGroups(OutreachFigures):
    groups: int = strawberry.field(description="How many groups it holds.")


@strawberry.type
class OutreachBreakdown(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone of the DAY values.")
    by: list[OutreachDimension]
    sort_by: OutreachFigure
    descending: bool
    rows: list[OutreachBreakdownRow] = strawberry.field(
        description="The first `limit` groups in the order asked."
    )
    other: OutreachBreakdownGroups | None = strawberry.field(
        description="Every group after the rows, folded into one; null when none is left."
    )
    total: OutreachBreakdownGroups = strawberry.field(
        description="The whole range under the filters: the rows' and `other`'s counts add up"
        " to it (not the distinct campaigns)."
    )


def _figures(group: Group) -> dict[str, Any]:
    extra = ("usage", "campaigns_started", "campaigns_completed")
    return {
        **asdict(Counts.of(group.values)),
        **{name: int(group.values.get(name, 0)) for name in extra},
    }


async def outreach_breakdown_field(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    by: Annotated[list[OutreachDimension], by_argument()],
    sort_by: Annotated[OutreachFigure, sort_argument()] = OutreachFigure.SENT,
    descending: Descending = True,
    limit: Limit = 10,
    time_zone_: TimeZone = None,
    channel: Channel = None,
    campaign: Campaign = None,
    template: Template = None,
    tenant_id: TenantId = None,
) -> OutreachBreakdown | None:
    request = request_of(by, sort_by, descending, limit)
    tenant = scoped_tenant(info.context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    services = info.context.services
    zone = services.tenants.settings_for(tenant).timezone
    zone = zone if time_zone_ is None else time_zone(time_zone_)
    given = {"channel": channel, "campaign": campaign, "template": template}
    filters = {name: value for name, value in given.items() if value is not None}
    question = OutreachQuestion(tenant, from_ms, to_ms, zone, filters)
    answer = await run_in_threadpool(outreach_breakdown, services.clickhouse, question, request)
    return OutreachBreakdown(
        tenant_id=tenant,
        time_zone=zone,
        by=list(by),
        sort_by=sort_by,
        descending=descending,
        **answer_fields(
            answer, OutreachDimension, _figures, OutreachBreakdownRow, OutreachBreakdownGroups
        ),
    )


@strawberry.type
class OutreachBreakdownQueries:
    outreach_breakdown: OutreachBreakdown | None = strawberry.field(
        resolver=outreach_breakdown_field,
        permission_classes=[CanView],
        description=(
            "Campaign and template figures over [from, to) grouped by one or two of campaign,"
            " template, channel and local day, sorted by a figure: the top `limit` groups, the"
            " rest folded into `other`, and the total."
        ),
    )
