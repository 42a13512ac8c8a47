"""The drill-down's root fields: ``eventRows``, ``conversationRows`` and ``sessionRows``.

Each takes its family's metric filters plus ``first`` and ``after`` and answers a page of rows in
a stable order; the next page starts after the page's ``cursor``. ClickHouse reads run in the
thread pool. All three answer through :func:`answer_page`: only their arguments, which are the
schema, are their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.drilldown.rows import MAX_PAGE, BadCursorError, RowSource
from pulse.families.drilldown.sources import conversation_rows, event_rows, session_rows
from pulse.families.drilldown.types import (
    ConversationRowPage,
    EventRowPage,
    SessionRowPage,
    conversation_row,
    event_row,
    session_row,
)
from pulse.families.helpdesk.graphql import Agent, AsOf, Channel, OrgUnit, PriorityFilter
from pulse.families.questions import TenantId
from pulse.families.web.graphql import Filters
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.permissions import CanView, CanViewInScope

P = TypeVar("P")
From = Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")]
To = Annotated[datetime, strawberry.argument(description="Exclusive.")]
First = Annotated[
    int, strawberry.argument(description=f"At most this many rows (1 to {MAX_PAGE}).")
]
After = Annotated[
    str | None,
    strawberry.argument(description="The cursor of the previous page; none: the first page."),
]
Text = Annotated[str | None, strawberry.argument(description="Only rows with this value.")]
EventTypes = Annotated[
    list[str] | None, strawberry.argument(description="Only events of these types.")
]


async def answer_page(
    page_type: Callable[..., P],
    row: Callable[[dict[str, Any]], object],
    source: RowSource,
    after: str | None,
    first: int,
) -> P:
    """One page of ``source`` as ``page_type`` of ``row``s; a bad ``first`` or cursor is the
    caller's INVALID_ARGUMENT."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidArgumentError(
            f"'first' must be between 1 and {MAX_PAGE}.",
            suggestion="Ask for fewer rows and follow the cursor.",
            argument="first",
        )
    try:
        page = await run_in_threadpool(source.page, after, first)
    except BadCursorError as exc:
        raise InvalidArgumentError(
            exc.message,
            suggestion="Pass the cursor of a page of the same field, unchanged.",
            argument="after",
        ) from exc
    return page_type(rows=[row(r) for r in page.rows], cursor=page.cursor, has_more=page.more)


async def event_rows_field(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    first: First = 100,
    after: After = None,
    event_types: EventTypes = None,
    channel: Channel = None,
    org_unit: OrgUnit = None,
    campaign_id: Text = None,
    agent_id: Text = None,
    conversation_id: Text = None,
    tenant_id: TenantId = None,
) -> EventRowPage | None:
    source = event_rows(
        info.context,
        from_,
        to,
        event_types=event_types,
        channel=channel,
        org_unit=org_unit,
        campaign_id=campaign_id,
        agent_id=agent_id,
        conversation_id=conversation_id,
        tenant_id=tenant_id,
    )
    return await answer_page(EventRowPage, event_row, source, after, first)


async def conversation_rows_field(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    first: First = 100,
    after: After = None,
    as_of: AsOf = None,
    channel: Channel = None,
    org_unit: OrgUnit = None,
    agent: Agent = None,
    priority: PriorityFilter = None,
    tenant_id: TenantId = None,
) -> ConversationRowPage | None:
    source = conversation_rows(
        info.context,
        from_,
        to,
        as_of=as_of,
        channel=channel,
        org_unit=org_unit,
        agent=agent,
        priority=None if priority is None else priority.value,
        tenant_id=tenant_id,
    )
    return await answer_page(ConversationRowPage, conversation_row, source, after, first)


async def session_rows_field(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    first: First = 100,
    after: After = None,
    filters: Filters = None,
    tenant_id: TenantId = None,
) -> SessionRowPage | None:
    source = session_rows(info.context, from_, to, filters=filters, tenant_id=tenant_id)
    return await answer_page(SessionRowPage, session_row, source, after, first)


@strawberry.type
class DrilldownQueries:
    event_rows: EventRowPage | None = strawberry.field(
        resolver=event_rows_field,
        permission_classes=[CanViewInScope],
        description=(
            "The stored events occurring in [from, to) under the filters, a page at a time in"
            " (eventType, occurredAt, eventId) order: the rows behind a figure."
        ),
    )
    conversation_rows: ConversationRowPage | None = strawberry.field(
        resolver=conversation_rows_field,
        permission_classes=[CanViewInScope],
        description=(
            "The conversations created in [from, to) under helpdeskMetrics' filters, each with"
            " its facts (SLA judged at asOf), a page at a time, oldest created first."
        ),
    )
    session_rows: SessionRowPage | None = strawberry.field(
        resolver=session_rows_field,
        permission_classes=[CanView],
        description=(
            "The web sessions started in [from, to) under webMetrics' filters, a page at a time,"
            " earliest started first."
        ),
    )
