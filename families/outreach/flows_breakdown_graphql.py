"""Root fields ``workflowBreakdown``, ``sequenceBreakdown`` and ``automationBreakdown``: each
family's figures by one or two of its dimensions, framed as ``outreachBreakdown`` is (tenant of
the token, zone of the tenant or ``timeZone``, tenant-wide: ``CanView``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.breakdowns.graphql import (
    Descending,
    Limit,
    answer_fields,
    by_argument,
    request_of,
    sort_argument,
)
from pulse.families.breakdowns.spec import BreakdownAnswer, Group
from pulse.families.outreach import automation, sequences, workflows
from pulse.families.outreach.flows_breakdown import (
    AUTOMATION,
    SEQUENCES,
    WORKFLOWS,
    FlowFamily,
    FlowQuestion,
    flow_breakdown,
)
from pulse.families.outreach.flows_breakdown_types import (
    AutomationBreakdown,
    AutomationBreakdownGroups,
    AutomationBreakdownRow,
    AutomationDimension,
    AutomationFigure,
    SequenceBreakdown,
    SequenceBreakdownGroups,
    SequenceBreakdownRow,
    SequenceDimension,
    SequenceFigure,
    WorkflowBreakdown,
    WorkflowBreakdownGroups,
    WorkflowBreakdownRow,
    WorkflowDimension,
    WorkflowFigure,
)
from pulse.families.outreach.flows_graphql import Channel, Flow, Sequence, Workflow
from pulse.families.outreach.flows_types import (
    automation_fields,
    sequence_fields,
    workflow_fields,
)
from pulse.families.questions import TenantId, TimeZone
from pulse.graphql.arguments import time_zone, window_ms
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.permissions import CanView

From = Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")]
To = Annotated[datetime, strawberry.argument(description="Exclusive.")]


async def _answer(
    info: Info[ApiContext, None],
    family: FlowFamily,
    window: tuple[datetime, datetime],
    request_args: tuple[list[Any], Enum, bool, int],
    zone_asked: str | None,
    tenant_id: str | None,
    given: Mapping[str, str | None],
) -> tuple[dict[str, Any], BreakdownAnswer]:
    """The answer's framing fields (tenant, zone) and the breakdown itself."""
    request = request_of(*request_args)
    tenant = scoped_tenant(info.context.claims, tenant_id)
    from_ms, to_ms = window_ms(*window)
    services = info.context.services
    zone = services.tenants.settings_for(tenant).timezone
    zone = zone if zone_asked is None else time_zone(zone_asked)
    filters = {column: value for column, value in given.items() if value is not None}
    question = FlowQuestion(tenant, from_ms, to_ms, zone, filters)
    answer = await run_in_threadpool(flow_breakdown, services.clickhouse, family, question, request)
    return {"tenant_id": tenant, "time_zone": zone}, answer


def _counted(
    make: Callable[..., Any], fields: Callable[[Any], dict[str, Any]]
) -> Callable[[Group], dict[str, Any]]:
    """A group's figure fields: its counts as the family's counts, rates as the metrics show."""

    def figures(group: Group) -> dict[str, Any]:
        return fields(make(**{name: int(v) for name, v in group.values.items()}))

    return figures


async def workflow_breakdown(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    by: Annotated[list[WorkflowDimension], by_argument()],
    sort_by: Annotated[WorkflowFigure, sort_argument()] = WorkflowFigure.RUNS,
    descending: Descending = True,
    limit: Limit = 10,
    time_zone_: TimeZone = None,
    workflow: Workflow = None,
    tenant_id: TenantId = None,
) -> WorkflowBreakdown | None:
    framing, answer = await _answer(
        info,
        WORKFLOWS,
        (from_, to),
        (by, sort_by, descending, limit),
        time_zone_,
        tenant_id,
        {"workflow_id": workflow},
    )
    figures = _counted(workflows.WorkflowCounts, workflow_fields)
    return WorkflowBreakdown(
        **framing,
        by=list(by),
        sort_by=sort_by,
        descending=descending,
        **answer_fields(
            answer, WorkflowDimension, figures, WorkflowBreakdownRow, WorkflowBreakdownGroups
        ),
    )


async def sequence_breakdown(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    by: Annotated[list[SequenceDimension], by_argument()],
    sort_by: Annotated[SequenceFigure, sort_argument()] = SequenceFigure.ENROLLMENTS,
    descending: Descending = True,
    limit: Limit = 10,
    time_zone_: TimeZone = None,
    sequence: Sequence = None,
    tenant_id: TenantId = None,
) -> SequenceBreakdown | None:
    framing, answer = await _answer(
        info,
        SEQUENCES,
        (from_, to),
        (by, sort_by, descending, limit),
        time_zone_,
        tenant_id,
        {"sequence_id": sequence},
    )
    figures = _counted(sequences.SequenceCounts, sequence_fields)
    return SequenceBreakdown(
        **framing,
        by=list(by),
        sort_by=sort_by,
        descending=descending,
        **answer_fields(
            answer, SequenceDimension, figures, SequenceBreakdownRow, SequenceBreakdownGroups
        ),
    )


async def automation_breakdown(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    by: Annotated[list[AutomationDimension], by_argument()],
    sort_by: Annotated[AutomationFigure, sort_argument()] = AutomationFigure.EXECUTED,
    descending: Descending = True,
    limit: Limit = 10,
    time_zone_: TimeZone = None,
    flow: Flow = None,
    channel: Channel = None,
    tenant_id: TenantId = None,
) -> AutomationBreakdown | None:
    framing, answer = await _answer(
        info,
        AUTOMATION,
        (from_, to),
        (by, sort_by, descending, limit),
        time_zone_,
        tenant_id,
        {"flow_id": flow, "channel": channel},
    )
    figures = _counted(automation.AutomationCounts, automation_fields)
    return AutomationBreakdown(
        **framing,
        by=list(by),
        sort_by=sort_by,
        descending=descending,
        **answer_fields(
            answer, AutomationDimension, figures, AutomationBreakdownRow, AutomationBreakdownGroups
        ),
    )


_SORTED = (
    "sorted by a figure: the top `limit` groups, the rest folded into `other`, and the total"
    " (equal to the metrics field's totals over the same range and filters)."
)


@strawberry.type
class FlowBreakdownQueries:
    workflow_breakdown: WorkflowBreakdown | None = strawberry.field(
        resolver=workflow_breakdown,
        permission_classes=[CanView],
        description="Workflow figures over [from, to) grouped by workflow and/or local day,"
        f" {_SORTED}",
    )
    sequence_breakdown: SequenceBreakdown | None = strawberry.field(
        resolver=sequence_breakdown,
        permission_classes=[CanView],
        description="Sequence figures over [from, to) grouped by one or two of sequence, step"
        f" and local day, {_SORTED}",
    )
    automation_breakdown: AutomationBreakdown | None = strawberry.field(
        resolver=automation_breakdown,
        permission_classes=[CanView],
        description="Automation figures over [from, to) grouped by one or two of flow, channel"
        f" and local day, {_SORTED}",
    )
