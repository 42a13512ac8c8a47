"""GraphQL types of ``workflowBreakdown``, ``sequenceBreakdown`` and ``automationBreakdown``:
each family's dimensions, sortable figures, rows, `other` and total."""

from __future__ import annotations

from enum import Enum

import strawberry

from pulse.families.breakdowns.graphql import DimensionValue
from pulse.families.freshness import Fresh
from pulse.families.outreach.flows_types import AutomationFigures, SequenceFigures, WorkflowFigures

_DAY = "The local date (YYYY-MM-DD) of occurred_at in the zone."
_KEYS = "One per dimension of `by`, in order."
_ROWS = "The first `limit` groups in the order asked."
_OTHER = "Every group after the rows, folded into one; null when none is left."
_TOTAL = (
    "The whole range under the filters, as the metrics field's totals: the rows' and"
    " `other`'s counts add up to it."
)
_GROUPS = "How many groups it holds."
_SEVERAL = (
    "The figures of several groups at once (the rest after the rows, or all of them), computed"
    " over their events: rates of their counts."
)


@strawberry.enum(description="What workflow figures can be grouped by.")
class WorkflowDimension(Enum):
    WORKFLOW = strawberry.enum_value("workflow", description="The workflow_id.")
    DAY = strawberry.enum_value("day", description=_DAY)


@strawberry.enum(description="The workflow figures a breakdown can be sorted by.")
class WorkflowFigure(Enum):
    RUNS = "runs"
    COMPLETED = "completed"
    FAILED = "failed"
    GOAL_REACHED = "goal_reached"
    COMPLETION_RATE = "completion_rate"
    CONVERSION_RATE = "conversion_rate"


@strawberry.type(description="One group of a workflow breakdown: its dimension values, figures.")
class WorkflowBreakdownRow(WorkflowFigures):
    keys: list[DimensionValue] = strawberry.field(description=_KEYS)


@strawberry.type(description=_SEVERAL)
class WorkflowBreakdownGroups(WorkflowFigures):
    groups: int = strawberry.field(description=_GROUPS)


@strawberry.type
class WorkflowBreakdown(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone of the DAY values.")
    by: list[WorkflowDimension]
    sort_by: WorkflowFigure
    descending: bool
    rows: list[WorkflowBreakdownRow] = strawberry.field(description=_ROWS)
    other: WorkflowBreakdownGroups | None = strawberry.field(description=_OTHER)
    total: WorkflowBreakdownGroups = strawberry.field(description=_TOTAL)


@strawberry.enum(description="What sequence figures can be grouped by.")
class SequenceDimension(Enum):
    SEQUENCE = strawberry.enum_value("sequence", description="The sequence_id.")
    STEP = strawberry.enum_value(
        "step",
        description="The step_number; null for events without one (enrollments, most often).",
    )
    DAY = strawberry.enum_value("day", description=_DAY)


@strawberry.enum(description="The sequence figures a breakdown can be sorted by.")
class SequenceFigure(Enum):
    ENROLLMENTS = "enrollments"
    STEPS_EXECUTED = "steps_executed"
    REPLIED = "replied"
    COMPLETED = "completed"
    REPLY_RATE = "reply_rate"


@strawberry.type(description="One group of a sequence breakdown: its dimension values, figures.")
class SequenceBreakdownRow(SequenceFigures):
    keys: list[DimensionValue] = strawberry.field(description=_KEYS)


@strawberry.type(description=_SEVERAL)
class SequenceBreakdownGroups(SequenceFigures):
    groups: int = strawberry.field(description=_GROUPS)


@strawberry.type
class SequenceBreakdown(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone of the DAY values.")
    by: list[SequenceDimension]
    sort_by: SequenceFigure
    descending: bool
    rows: list[SequenceBreakdownRow] = strawberry.field(description=_ROWS)
    other: SequenceBreakdownGroups | None = strawberry.field(description=_OTHER)
    total: SequenceBreakdownGroups = strawberry.field(description=_TOTAL)


@strawberry.enum(description="What automation figures can be grouped by.")
class AutomationDimension(Enum):
    FLOW = strawberry.enum_value("flow", description="The flow_id.")
    CHANNEL = strawberry.enum_value(
        "channel", description="The channel; null for events sent without one."
    )
    DAY = strawberry.enum_value("day", description=_DAY)


@strawberry.enum(description="The automation figures a breakdown can be sorted by.")
class AutomationFigure(Enum):
    EXECUTED = "executed"
    FAILED = "failed"
    FAILURE_RATE = "failure_rate"


@strawberry.type(description="One group of an automation breakdown: its dimension values, figures.")
class AutomationBreakdownRow(AutomationFigures):
    keys: list[DimensionValue] = strawberry.field(description=_KEYS)


@strawberry.type(description=_SEVERAL)
class AutomationBreakdownGroups(AutomationFigures):
    groups: int = strawberry.field(description=_GROUPS)


@strawberry.type
class AutomationBreakdown(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone of the DAY values.")
    by: list[AutomationDimension]
    sort_by: AutomationFigure
    descending: bool
    rows: list[AutomationBreakdownRow] = strawberry.field(description=_ROWS)
    other: AutomationBreakdownGroups | None = strawberry.field(description=_OTHER)
    total: AutomationBreakdownGroups = strawberry.field(description=_TOTAL)
