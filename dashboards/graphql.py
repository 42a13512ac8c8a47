"""The dashboards' GraphQL fields: ``dashboards``, ``dashboard(id)`` (a query, and a subscription
pushing it again after each stored batch of the tenant) and the mutations.

Every field is scoped to the token's tenant (an explicit other ``tenantId`` is FORBIDDEN); a
dashboard the token may not see reads as unknown, like another tenant's. Visibility: ``private``
is its author's (the token's ``sub``) only, ``org_unit`` any token covering that unit, ``tenant``
every token of the tenant. A token confined to org units may change the dashboards it sees except
tenant-wide ones, and may not define one for a unit outside its own. A widget's query is checked
against the schema when saved (INVALID_ARGUMENT naming ``widgets.query``) and runs, when its
``data`` is asked for, through the same schema and context as the request.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from pulse.dashboards.book import DashboardBook, unknown
from pulse.dashboards.embed_tokens import VIEWER_PICKS
from pulse.dashboards.errors import InvalidDashboardError
from pulse.dashboards.graphql_types import (
    DashboardInput,
    DashboardView,
    WidgetRange,
    dashboard_fields,
    once,
    view,
)
from pulse.dashboards.model import Dashboard, Widget
from pulse.dashboards.widget_queries import WidgetAnswer, answer_widget, check_query
from pulse.families.questions import TenantId
from pulse.graphql.auth import Claims, scoped_tenant
from pulse.graphql.books import ServedBook
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import ForbiddenError
from pulse.graphql.live import live_pushes
from pulse.graphql.permissions import CanManage, CanViewDashboard, CanViewInScope, may_see

DashboardId = Annotated[strawberry.ID, strawberry.argument(description="The dashboard's id.")]
Filters = Annotated[
    JSON | None,
    strawberry.argument(
        description="Variables overriding the dashboard's, e.g. a picked range's from/to."
    ),
]
PickedRange = Annotated[
    WidgetRange | None,
    strawberry.argument(
        description="Every widget's range instead of its own, computed at each answer (and"
        " push, so a live LAST_24H moves); CUSTOM: the from/to of the variables."
    ),
]
DASHBOARDS = ServedBook[DashboardBook](
    records="dashboards",
    record="dashboard",
    book=lambda services: services.dashboards,
    invalid=InvalidDashboardError,
)


def visible(claims: Claims, dashboard: Dashboard) -> bool:
    if dashboard.visibility == "private":
        return bool(claims.subject) and dashboard.created_by == claims.subject
    if dashboard.visibility == "org_unit":
        return may_see(claims, dashboard.org_unit)
    return True


def seen(claims: Claims, book: DashboardBook, tenant: str, dashboard_id: str) -> Dashboard:
    """The tenant's dashboard if the token may see it; else unknown, like another tenant's."""
    found = book.get(tenant, dashboard_id)
    if not visible(claims, found):
        raise unknown(tenant, dashboard_id)
    return found


def _changeable(claims: Claims, book: DashboardBook, tenant: str, dashboard_id: str) -> Dashboard:
    """The tenant's dashboard, if the token sees it and may change it; else unknown."""
    found = seen(claims, book, tenant, dashboard_id)
    if claims.org_units is not None and found.visibility == "tenant":
        raise ForbiddenError(
            "A token confined to org units cannot change a tenant-wide dashboard.",
            suggestion="Use a token not confined to org units.",
            field="visibility",
        )
    return found


def _definable(info: Info[ApiContext, None], given: DashboardInput) -> dict[str, Any]:
    """The input's fields, checked: widget queries against the schema, the visibility against
    the token's org units."""
    claims = info.context.claims
    try:
        fields = dashboard_fields(given)
    except InvalidDashboardError as exc:
        raise DASHBOARDS.argument_error(exc) from exc
    if claims.org_units is not None and fields["visibility"] != "private":
        unit = fields["org_unit"]
        if unit is None or not may_see(claims, unit):
            raise ForbiddenError(
                "This token may share dashboards only with its org units"
                + ("" if unit is None else f", not '{unit}'")
                + ".",
                suggestion="Use visibility PRIVATE, or ORG_UNIT with one of the token's units.",
                field="orgUnit",
            )
    schema = info.schema._schema
    try:
        for widget in fields["widgets"]:
            check_query(schema, widget.query)
    except InvalidDashboardError as exc:
        raise DASHBOARDS.argument_error(exc) from exc
    return fields


def _view(
    info: Info[ApiContext, None],
    dashboard: Dashboard,
    overrides: dict[str, Any] | None = None,
    picked_range: WidgetRange | None = None,
) -> DashboardView:
    now_ms = info.context.services.now_ms()
    picked = picked_range.value if picked_range is not None else None

    def answer(widget: Widget) -> Callable[[], Awaitable[WidgetAnswer]]:
        return once(
            lambda: answer_widget(
                info.schema, info.context, dashboard, widget, now_ms, overrides or {}, picked
            )
        )

    return view(dashboard, answer)


async def dashboards(
    info: Info[ApiContext, None], tenant_id: TenantId = None
) -> list[DashboardView]:
    claims = info.context.claims

    def listing(book: DashboardBook, tenant: str) -> list[Dashboard]:
        return [d for d in book.of_tenant(tenant) if visible(claims, d)]

    return [_view(info, d) for d in await DASHBOARDS.run(info, tenant_id, listing)]


async def dashboard(
    info: Info[ApiContext, None],
    id: DashboardId,
    filters: Filters = None,
    range: PickedRange = None,
    tenant_id: TenantId = None,
) -> DashboardView:
    claims = info.context.claims

    def get(book: DashboardBook, tenant: str) -> Dashboard:
        return seen(claims, book, tenant, str(id))

    overrides = viewer_filters(claims, filters if isinstance(filters, dict) else {})
    return _view(info, await DASHBOARDS.run(info, tenant_id, get), overrides, range)


def viewer_filters(claims: Claims, given: dict[str, Any]) -> dict[str, Any]:
    """The overrides a viewer's ``filters`` become: as given, except under an embed token,
    which may pick only from/to and whose minter's fixed filters then win over everything."""
    if claims.dashboard is None:
        return given
    refused = sorted(given.keys() - VIEWER_PICKS)
    if refused:
        raise ForbiddenError(
            f"An embed token may pick only from/to, not {', '.join(refused)}.",
            suggestion="Mint the token with these filters (embedToken(filters:)).",
            field="filters",
        )
    return {**given, **claims.filters}


async def live_dashboard(
    info: Info[ApiContext, None],
    id: DashboardId,
    filters: Filters = None,
    range: PickedRange = None,
    tenant_id: TenantId = None,
) -> AsyncGenerator[DashboardView, None]:
    """The dashboard now, then again (read anew: a changed or deleted one shows so) after
    every stored batch of its tenant."""
    tenant = scoped_tenant(info.context.claims, tenant_id)
    async for shown in live_pushes(
        info, tenant, lambda: dashboard(info, id, filters, range, tenant)
    ):
        yield shown


async def create_dashboard(info: Info[ApiContext, None], input: DashboardInput) -> DashboardView:
    fields = _definable(info, input)
    subject = info.context.claims.subject

    def create(book: DashboardBook, tenant: str) -> Dashboard:
        return book.create(tenant, fields, created_by=subject)

    return _view(info, await DASHBOARDS.run(info, input.tenant_id, create))


async def update_dashboard(
    info: Info[ApiContext, None], id: DashboardId, input: DashboardInput
) -> DashboardView:
    fields = _definable(info, input)
    claims = info.context.claims

    def update(book: DashboardBook, tenant: str) -> Dashboard:
        return book.update(_changeable(claims, book, tenant, str(id)), fields)

    return _view(info, await DASHBOARDS.run(info, input.tenant_id, update))


async def delete_dashboard(
    info: Info[ApiContext, None], id: DashboardId, tenant_id: TenantId = None
) -> DashboardView:
    claims = info.context.claims

    def delete(book: DashboardBook, tenant: str) -> Dashboard:
        return book.delete(_changeable(claims, book, tenant, str(id)))

    return _view(info, await DASHBOARDS.run(info, tenant_id, delete))


@strawberry.type
class DashboardQueries:
    dashboards: list[DashboardView] = strawberry.field(
        resolver=dashboards,
        permission_classes=[CanViewInScope],
        description="The dashboards the token may see, oldest first.",
    )
    dashboard: DashboardView = strawberry.field(
        resolver=dashboard,
        permission_classes=[CanViewDashboard],
        description="One dashboard; its widgets' data all answered in this one request.",
    )


@strawberry.type
class DashboardSubscriptions:
    dashboard = strawberry.subscription(
        resolver=live_dashboard,
        permission_classes=[CanViewDashboard],
        description="dashboard(id), pushed again each time the sink stores the tenant's rows.",
    )


@strawberry.type
class DashboardMutations:
    create_dashboard: DashboardView = strawberry.mutation(
        resolver=create_dashboard,
        permission_classes=[CanManage],
        description="Creates a dashboard authored by the token's subject; widget queries are"
        " checked against the schema.",
    )
    update_dashboard: DashboardView = strawberry.mutation(
        resolver=update_dashboard,
        permission_classes=[CanManage],
        description="Replaces a dashboard's definition; its id, author and creation stay.",
    )
    delete_dashboard: DashboardView = strawberry.mutation(
        resolver=delete_dashboard,
        permission_classes=[CanManage],
        description="Deletes a dashboard; answers it as it was.",
    )
