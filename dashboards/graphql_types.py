"""The GraphQL shapes of a dashboard: the types answered and the input of the mutations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from pulse.dashboards.errors import InvalidDashboardError
from pulse.dashboards.model import Dashboard, Position, Widget
from pulse.dashboards.widget_queries import WidgetAnswer


@strawberry.enum(description="Who sees a dashboard: its author, one org unit, or the tenant.")
class DashboardVisibility(Enum):
    PRIVATE = "private"
    ORG_UNIT = "org_unit"
    TENANT = "tenant"


@strawberry.enum(description="How the page draws a widget's answer.")
class WidgetKind(Enum):
    TIMESERIES = "timeseries"
    BARS = "bars"
    TOP = "top"
    NUMBER = "number"
    TABLE = "table"


@strawberry.enum(description="A relative range sets the query's $from/$to when it is shown.")
class WidgetRange(Enum):
    LAST_24H = "last_24h"
    LAST_7D = "last_7d"
    LAST_30D = "last_30d"
    CUSTOM = "custom"


@strawberry.type(name="WidgetPosition", description="Place on a 12-column grid.")
class PositionView:
    x: int
    y: int
    w: int
    h: int


@strawberry.type
class WidgetError:
    message: str
    code: str | None


async def _data(root: WidgetView) -> JSON | None:
    return cast(JSON | None, (await root.answer()).data)


async def _errors(root: WidgetView) -> list[WidgetError]:
    return [WidgetError(message=m, code=c) for m, c in (await root.answer()).errors]


@strawberry.type(name="Widget")
class WidgetView:
    id: str
    title: str
    kind: WidgetKind
    query: str = strawberry.field(description="The saved GraphQL query, one operation.")
    variables: JSON = strawberry.field(description="The widget's own variable values.")
    range: WidgetRange
    position: PositionView
    # Runs the widget's query once, however many of data and errors are selected.
    answer: strawberry.Private[Callable[[], Awaitable[WidgetAnswer]]]
    data: JSON | None = strawberry.field(
        resolver=_data,
        description="The query's answer, as if it had been sent alone.",
    )
    errors: list[WidgetError] = strawberry.field(
        resolver=_errors,
        description="The query's errors (a refused field, a bad variable…).",
    )


@strawberry.type(name="Dashboard")
class DashboardView:
    id: strawberry.ID
    tenant_id: str
    name: str
    visibility: DashboardVisibility
    org_unit: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    filters: JSON = strawberry.field(description="Default variables of every widget.")
    widgets: list[WidgetView]


@strawberry.input
class WidgetPositionInput:
    x: int = 0
    y: int = 0
    w: int = 6
    h: int = 4


@strawberry.input
class WidgetInput:
    id: str = strawberry.field(description="Unique within the dashboard.")
    title: str
    kind: WidgetKind
    query: str = strawberry.field(description="One GraphQL query operation; checked when saved.")
    variables: JSON | None = None
    range: WidgetRange = WidgetRange.CUSTOM
    position: WidgetPositionInput | None = None


@strawberry.input
class DashboardInput:
    name: str
    visibility: DashboardVisibility
    org_unit: str | None = strawberry.field(
        default=None, description="Required with visibility ORG_UNIT, refused otherwise."
    )
    widgets: list[WidgetInput] = strawberry.field(default_factory=list)
    filters: JSON | None = strawberry.field(
        default=None, description="Default variables of every widget, e.g. {channel: email}."
    )
    tenant_id: str | None = None


def dashboard_fields(given: DashboardInput) -> dict[str, Any]:
    """The book's fields from the input; the model checks them."""
    return {
        "name": given.name,
        "visibility": given.visibility.value,
        "org_unit": given.org_unit,
        "filters": _object("filters", given.filters),
        "widgets": tuple(
            Widget(
                widget_id=w.id,
                title=w.title,
                kind=w.kind.value,
                query=w.query,
                variables=_object("widgets.variables", w.variables),
                range=w.range.value,
                position=Position(**vars(w.position)) if w.position else Position(),
            )
            for w in given.widgets
        ),
    }


def view(
    dashboard: Dashboard, answer: Callable[[Widget], Callable[[], Awaitable[WidgetAnswer]]]
) -> DashboardView:
    """``dashboard`` as answered; ``answer(widget)`` runs a widget's query when asked."""
    return DashboardView(
        id=strawberry.ID(dashboard.dashboard_id),
        tenant_id=dashboard.tenant_id,
        name=dashboard.name,
        visibility=DashboardVisibility(dashboard.visibility),
        org_unit=dashboard.org_unit,
        created_by=dashboard.created_by,
        created_at=_at(dashboard.created_ms),
        updated_at=_at(dashboard.updated_ms),
        filters=cast(JSON, dashboard.filters),
        widgets=[
            WidgetView(
                id=w.widget_id,
                title=w.title,
                kind=WidgetKind(w.kind),
                query=w.query,
                variables=cast(JSON, w.variables),
                range=WidgetRange(w.range),
                position=PositionView(**vars(w.position)),
                answer=answer(w),
            )
            for w in dashboard.widgets
        ],
    )


def once(run: Callable[[], Awaitable[WidgetAnswer]]) -> Callable[[], Awaitable[WidgetAnswer]]:
    """``run`` started at the first call; every call awaits that one run."""
    started: list[asyncio.Future[WidgetAnswer]] = []

    async def get() -> WidgetAnswer:
        if not started:
            started.append(asyncio.ensure_future(run()))
        return await started[0]

    return get


def _object(name: str, given: object) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise InvalidDashboardError(name, "must be an object of variable values")
    return given


def _at(at_ms: int) -> datetime:
    return datetime.fromtimestamp(at_ms / 1000, UTC)
