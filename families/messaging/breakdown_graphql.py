"""The root field ``messagingBreakdown``: messaging counts and rates by one or two dimensions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
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
from pulse.families.breakdowns.spec import Group
from pulse.families.freshness import Fresh
from pulse.families.helpdesk.model import Bucket
from pulse.families.messaging import model
from pulse.families.messaging.breakdown import messaging_breakdown
from pulse.families.messaging.graphql import (
    Campaign,
    Channel,
    OrgUnit,
    Sequence,
    Template,
    Workflow,
)
from pulse.families.messaging.types import MessagingCounts
from pulse.families.questions import TenantId, TimeZone
from pulse.graphql.arguments import time_zone, window_ms
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.permissions import CanViewInScope, org_unit_scope


@strawberry.enum(description="What messaging counts can be grouped by.")
class MessagingDimension(Enum):
    CHANNEL = "channel"
    ORG_UNIT = "org_unit"
    CAMPAIGN = "campaign"
    TEMPLATE = "template"
    WORKFLOW = "workflow"
    SEQUENCE = "sequence"
    DAY = strawberry.enum_value("day", description="The local date (YYYY-MM-DD) in the zone.")
    HOUR_OF_DAY = strawberry.enum_value(
        "hour_of_day", description="The local hour of day (00 to 23) in the zone."
    )


@strawberry.enum(description="The messaging figures a breakdown can be sorted by.")
class MessagingFigure(Enum):
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


@strawberry.type(description="One group of a messaging breakdown: its dimension values, figures.")
class MessagingBreakdownRow(MessagingCounts):
    keys: list[DimensionValue] = strawberry.field(
        description="One per dimension of `by`, in order."
    )


@strawberry.type(
    description=(
        "The figures of several groups at once (the rest after the rows, or all of them),"
        " counted over their messages: rates are of their counts, not sums of rows' rates."
    )
)
class MessagingBreakdownGroups(MessagingCounts):
    groups: int = strawberry.field(description="How many groups it holds.")


@strawberry.type
class MessagingBreakdown(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone of the DAY and HOUR_OF_DAY values.")
    by: list[MessagingDimension]
    sort_by: MessagingFigure
    descending: bool
    rows: list[MessagingBreakdownRow] = strawberry.field(
        description="The first `limit` groups in the order asked."
    )
    other: MessagingBreakdownGroups | None = strawberry.field(
        description="Every group after the rows, folded into one; null when none is left."
    )
    total: MessagingBreakdownGroups = strawberry.field(
        description="The whole range under the filters: the rows and `other` add up to it."
    )


def _counts(group: Group) -> dict[str, int]:
    return asdict(model.MessagingCounts.of(group.values))


async def messaging_breakdown_field(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    by: Annotated[list[MessagingDimension], by_argument()],
    sort_by: Annotated[MessagingFigure, sort_argument()] = MessagingFigure.SENT,
    descending: Descending = True,
    limit: Limit = 10,
    time_zone_: TimeZone = None,
    channel: Channel = None,
    org_unit: OrgUnit = None,
    campaign: Campaign = None,
    template: Template = None,
    workflow: Workflow = None,
    sequence: Sequence = None,
    tenant_id: TenantId = None,
) -> MessagingBreakdown | None:
    request = request_of(by, sort_by, descending, limit)
    tenant = scoped_tenant(info.context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    services = info.context.services
    zone = services.tenants.settings_for(tenant).timezone
    zone = zone if time_zone_ is None else time_zone(time_zone_)
    scope = org_unit_scope(info.context.claims, org_unit)
    filters = model.Filters(
        channel, scope.org_unit, campaign, template, workflow, sequence, scope.among
    )
    # One bucket spanning the range: a breakdown has no grid.
    question = model.MessagingQuery(tenant, (Bucket(from_ms, to_ms, 0),), zone, "day", filters)
    answer = await run_in_threadpool(messaging_breakdown, services.clickhouse, question, request)
    return MessagingBreakdown(
        tenant_id=tenant,
        time_zone=zone,
        by=list(by),
        sort_by=sort_by,
        descending=descending,
        **answer_fields(
            answer, MessagingDimension, _counts, MessagingBreakdownRow, MessagingBreakdownGroups
        ),
    )


@strawberry.type
class MessagingBreakdownQueries:
    messaging_breakdown: MessagingBreakdown | None = strawberry.field(
        resolver=messaging_breakdown_field,
        permission_classes=[CanViewInScope],
        description=(
            "Messaging counts and rates over [from, to) grouped by one or two dimensions, sorted"
            " by a figure: the top `limit` groups, the rest folded into `other`, and the total."
        ),
    )
