"""The root ``Subscription``: the realtime figures, pushed when the sink stores their tenant's rows.

Each field answers exactly as its query of the same name does (same arguments, same resolver,
same roles), once at start and again after every batch of the tenant (``pulse.graphql.live``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from pulse.families.helpdesk.graphql import Agent, Channel, OrgUnit, PriorityFilter
from pulse.families.helpdesk.graphql import unanswered_conversations as unanswered_now
from pulse.families.helpdesk.types import Unanswered
from pulse.families.messaging.graphql import realtime_messaging as messaging_now
from pulse.families.messaging.types import RealtimeMessaging
from pulse.families.questions import TenantId
from pulse.families.web.graphql import active_visitors as visitors_now
from pulse.families.web.types import ActiveVisitors
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.live import live_pushes
from pulse.graphql.permissions import CanView, CanViewInScope


async def realtime_messaging(
    info: Info[ApiContext, None], tenant_id: TenantId = None
) -> AsyncGenerator[RealtimeMessaging | None, None]:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    async for figure in live_pushes(info, tenant, lambda: messaging_now(info, tenant)):
        yield figure


async def active_visitors(
    info: Info[ApiContext, None], tenant_id: TenantId = None
) -> AsyncGenerator[ActiveVisitors | None, None]:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    async for figure in live_pushes(info, tenant, lambda: visitors_now(info, None, tenant)):
        yield figure


async def unanswered_conversations(
    info: Info[ApiContext, None],
    at_risk_minutes: Annotated[
        int,
        strawberry.argument(description="At risk: the deadline is within this many minutes."),
    ] = 30,
    limit: Annotated[int, strawberry.argument(description="At most this many.")] = 100,
    channel: Channel = None,
    org_unit: OrgUnit = None,
    agent: Agent = None,
    priority: PriorityFilter = None,
    tenant_id: TenantId = None,
) -> AsyncGenerator[list[Unanswered] | None, None]:
    tenant = scoped_tenant(info.context.claims, tenant_id)

    async def read() -> list[Unanswered] | None:
        return await unanswered_now(
            info,
            None,
            at_risk_minutes,
            limit,
            channel=channel,
            org_unit=org_unit,
            agent=agent,
            priority=priority,
            tenant_id=tenant,
        )

    async for figure in live_pushes(info, tenant, read):
        yield figure


@strawberry.type
class LiveSubscriptions:
    realtime_messaging = strawberry.subscription(
        resolver=realtime_messaging,
        permission_classes=[CanView],
        description="realtimeMessaging, pushed again each time the sink stores the tenant's rows.",
    )
    active_visitors = strawberry.subscription(
        resolver=active_visitors,
        permission_classes=[CanView],
        description="activeVisitors (now), pushed again each time the sink stores the tenant's"
        " rows.",
    )
    unanswered_conversations = strawberry.subscription(
        resolver=unanswered_conversations,
        permission_classes=[CanViewInScope],
        description="unansweredConversations (now), pushed again each time the sink stores the"
        " tenant's rows.",
    )
