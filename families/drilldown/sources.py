"""A drill-down's row source from a caller's filters: the tenant and org units the token may
read, the range checked. GraphQL resolvers (``graphql.py``) and exports (``pulse.graphql.export``)
both build their sources here, so a row is the token's by the same rules on both paths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pulse.families.drilldown.conversations import ConversationRows
from pulse.families.drilldown.events import EventRows
from pulse.families.drilldown.rows import RowSource
from pulse.families.drilldown.sessions import SessionRows
from pulse.families.questions import as_of_ms
from pulse.families.web.types import WebFilters, filters_of
from pulse.graphql.arguments import window_ms
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.permissions import CanView, CanViewInScope, _Role, org_unit_scope


def event_rows(
    context: ApiContext,
    from_: datetime,
    to: datetime,
    event_types: Sequence[str] | None = None,
    channel: str | None = None,
    org_unit: str | None = None,
    campaign_id: str | None = None,
    agent_id: str | None = None,
    conversation_id: str | None = None,
    tenant_id: str | None = None,
) -> EventRows:
    tenant = scoped_tenant(context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    scope = org_unit_scope(context.claims, org_unit)
    return EventRows(
        context.services.clickhouse,
        tenant,
        from_ms,
        to_ms,
        event_types=event_types,
        channel=channel,
        org_unit=scope.org_unit,
        org_units=scope.among,
        campaign_id=campaign_id,
        agent_id=agent_id,
        conversation_id=conversation_id,
    )


def conversation_rows(
    context: ApiContext,
    from_: datetime,
    to: datetime,
    as_of: datetime | None = None,
    channel: str | None = None,
    org_unit: str | None = None,
    agent: str | None = None,
    priority: str | None = None,
    tenant_id: str | None = None,
) -> ConversationRows:
    tenant = scoped_tenant(context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    scope = org_unit_scope(context.claims, org_unit)
    services = context.services
    return ConversationRows(
        services.clickhouse,
        tenant,
        from_ms,
        to_ms,
        as_of_ms(services, as_of),
        services.tenants.settings_for(tenant).sla_ms,
        channel=channel,
        priority=priority,
        agent=agent,
        org_unit=scope.org_unit,
        org_units=scope.among,
    )


def session_rows(
    context: ApiContext,
    from_: datetime,
    to: datetime,
    filters: WebFilters | None = None,
    tenant_id: str | None = None,
) -> SessionRows:
    tenant = scoped_tenant(context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    services = context.services
    return SessionRows(
        services.clickhouse,
        tenant,
        from_ms,
        to_ms,
        engaged=services.tenants.settings_for(tenant).engaged_events,
        filters=filters_of(filters),
    )


@dataclass(frozen=True)
class DrillKind:
    """A kind of rows: its GraphQL field, the role rule guarding it, its source builder."""

    field: str
    rule: type[_Role]
    build: Callable[..., RowSource]


# Sessions carry no org unit: like the web figures, refused to a token confined to org units.
KINDS: dict[str, DrillKind] = {
    "events": DrillKind("eventRows", CanViewInScope, event_rows),
    "conversations": DrillKind("conversationRows", CanViewInScope, conversation_rows),
    "sessions": DrillKind("sessionRows", CanView, session_rows),
}
