"""A widget's saved query: checked against the schema when saved, run through it when shown.

A widget runs as if its query had been sent alone with the viewer's token: the same schema and
request context, so roles, org-unit scope, tenant scoping and the audit log apply to each one.
Its variables are, later ones winning: the dashboard's default filters, the widget's own, the
``from``/``to`` of its relative range (computed at request time; a range the viewer picked
replaces every widget's own), and the viewer's overrides (under an embed token only from/to,
then the filters fixed in the token, ``pulse.dashboards.graphql.viewer_filters``).
Undeclared variables are ignored by GraphQL, so one default filter can serve widgets of several
families.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLSchema
from graphql.language import FieldNode
from strawberry import Schema

from pulse.dashboards.errors import InvalidDashboardError
from pulse.dashboards.model import RANGE_MS, Dashboard, Widget
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.one_query import one_query

# Root fields a widget may not select: a dashboard inside a widget would run dashboards in turn.
NOT_IN_WIDGETS = frozenset({"dashboard", "dashboards"})


def check_query(schema: GraphQLSchema, query: str) -> None:
    """Raises InvalidDashboardError unless ``query`` is one valid query operation."""
    try:
        _, operation = one_query(schema, query, "widgets.query")
    except InvalidArgumentError as exc:
        raise InvalidDashboardError("widgets.query", exc.message) from exc
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value in NOT_IN_WIDGETS:
            raise InvalidDashboardError("widgets.query", "cannot select a dashboard")


@dataclass(frozen=True)
class WidgetAnswer:
    data: dict[str, Any] | None
    # Each error's message and code, as the same query sent alone would have reported them.
    errors: list[tuple[str, str | None]]


def variables_of(
    dashboard: Dashboard,
    widget: Widget,
    now_ms: int,
    overrides: dict[str, Any],
    picked_range: str | None = None,
) -> dict[str, Any]:
    ranged: dict[str, Any] = {}
    length = RANGE_MS.get(picked_range or widget.range)
    if length is not None:
        ranged = {"from": _iso(now_ms - length), "to": _iso(now_ms)}
    return {**dashboard.filters, **widget.variables, **ranged, **overrides}


def _iso(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).isoformat().replace("+00:00", "Z")


async def answer_widget(
    schema: Schema,
    context: ApiContext,
    dashboard: Dashboard,
    widget: Widget,
    now_ms: int,
    overrides: dict[str, Any],
    picked_range: str | None = None,
) -> WidgetAnswer:
    """``widget`` of ``dashboard`` answered through ``schema`` with the viewer's ``context``,
    marked as run for ``dashboard`` (which lets an embed token for it run the query)."""
    result = await schema.execute(
        widget.query,
        variable_values=variables_of(dashboard, widget, now_ms, overrides, picked_range),
        context_value=replace(
            context, widget_of=dashboard.dashboard_id, widget_id=widget.widget_id
        ),
    )
    errors = [(e.message, (e.extensions or {}).get("code")) for e in result.errors or []]
    return WidgetAnswer(result.data, errors)
