"""A drill-down's row source from a caller's filters: the tenant and org units the token may
read, the range checked, the tenant's sensitive fields masked. GraphQL resolvers
(``graphql.py``) and exports (``pulse.graphql.export_request``) both build their sources here,
so a row is the token's, and shown to it, by the same rules on both paths.

A token without ``analytics.pii`` sees :data:`~pulse.families.drilldown.sensitive.MARKER` for
the tenant's sensitive fields. No filter here reads a maskable field, so none can be used to
test a masked value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pulse.families.drilldown.conversations import ConversationRows
from pulse.families.drilldown.events import EventRows
from pulse.families.drilldown.masking import masked
from pulse.families.drilldown.rows import RowSource
from pulse.families.drilldown.sessions import SessionRows
from pulse.families.questions import as_of_ms
from pulse.families.web.types import WebFilters, filters_of
from pulse.graphql.arguments import window_ms
from pulse.graphql.auth import PII, scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.permissions import CanView, CanViewInScope, _Role, org_unit_scope


def sensitive_for(context: ApiContext, tenant: str) -> set[str]:
    """The tenant's sensitive fields, to be masked, unless the token may see them. No filter
    reads a maskable field (``sensitive.MASKABLE``), so none can tell a masked value."""
    if PII in context.claims.roles:
        return set()
    return set(context.services.tenants.settings_for(tenant).sensitive)


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
) -> RowSource:
    tenant = scoped_tenant(context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    scope = org_unit_scope(context.claims, org_unit)
    sensitive = sensitive_for(context, tenant)
    rows = EventRows(
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
    return masked(rows, sensitive)


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
) -> RowSource:
    tenant = scoped_tenant(context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    scope = org_unit_scope(context.claims, org_unit)
    sensitive = sensitive_for(context, tenant)
    services = context.services
    rows = ConversationRows(
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
    return masked(rows, sensitive)


def session_rows(
    context: ApiContext,
    from_: datetime,
    to: datetime,
    filters: WebFilters | None = None,
    tenant_id: str | None = None,
) -> RowSource:
    tenant = scoped_tenant(context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    given = filters_of(filters)
    sensitive = sensitive_for(context, tenant)
    services = context.services
    rows = SessionRows(
        services.clickhouse,
        tenant,
        from_ms,
        to_ms,
        engaged=services.tenants.settings_for(tenant).engaged_events,
        filters=given,
    )
    return masked(rows, sensitive)


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
