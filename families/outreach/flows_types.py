"""GraphQL types of workflows, sequences and automation: METRICS.md §3 Outreach in camelCase.

Rates are percentages rounded half away from zero to 2 decimals, null when the denominator is 0,
ratios of the same bucket's (or entry's) counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

import strawberry

from pulse.families.freshness import Fresh, ProvisionalBucket
from pulse.families.helpdesk.model import Bucket
from pulse.families.outreach import automation, sequences, workflows
from pulse.graphql.arguments import EPOCH
from pulse.graphql.types import Granularity


@strawberry.enum(description="The figure a top list ranks by, largest first; ties by id.")
class WorkflowRanking(Enum):
    RUNS = "runs"
    COMPLETED = "completed"
    FAILED = "failed"
    GOAL_REACHED = "goal_reached"
    COMPLETION_RATE = "completion_rate"
    CONVERSION_RATE = "conversion_rate"


@strawberry.enum(description="The figure a top list ranks by, largest first; ties by id.")
class SequenceRanking(Enum):
    ENROLLMENTS = "enrollments"
    STEPS_EXECUTED = "steps_executed"
    REPLIED = "replied"
    COMPLETED = "completed"
    REPLY_RATE = "reply_rate"
    ACTIVE_ENROLLMENTS = "active_enrollments"


@strawberry.enum(description="The figure a top list ranks by, largest first; ties by id.")
class AutomationRanking(Enum):
    EXECUTED = "executed"
    FAILED = "failed"
    FAILURE_RATE = "failure_rate"


@strawberry.interface(description="Workflow event counts and their rates.")
class WorkflowFigures:
    runs: int = strawberry.field(description="workflow.run_started events.")
    completed: int = strawberry.field(description="workflow.run_completed events.")
    failed: int = strawberry.field(description="workflow.run_failed events.")
    goal_reached: int = strawberry.field(description="workflow.goal_reached events.")
    completion_rate: float | None = strawberry.field(description="completed / runs, in percent.")
    conversion_rate: float | None = strawberry.field(
        description="goalReached / completed, in percent."
    )


@strawberry.interface(description="Sequence event counts and the reply rate.")
class SequenceFigures:
    enrollments: int = strawberry.field(description="sequence.enrolled events.")
    steps_executed: int = strawberry.field(description="sequence.step_executed events.")
    replied: int = strawberry.field(description="sequence.replied events.")
    completed: int = strawberry.field(description="sequence.completed events.")
    reply_rate: float | None = strawberry.field(description="replied / enrollments, in percent.")


@strawberry.interface(description="Automation event counts and the failure rate.")
class AutomationFigures:
    executed: int = strawberry.field(description="automation.executed events.")
    failed: int = strawberry.field(description="automation.failed events.")
    failure_rate: float | None = strawberry.field(
        description="failed / (executed + failed), in percent."
    )


@strawberry.interface(description="One bucket [start, end) of the local calendar of the zone.")
class FlowGridBucket(ProvisionalBucket):
    start: datetime = strawberry.field(description="Inclusive start, ISO-8601 in UTC.")
    end: datetime = strawberry.field(description="Exclusive end, ISO-8601 in UTC.")
    local_start: datetime = strawberry.field(
        description="The start on the zone's clock, with its offset (2026-10-25T01:00:00+01:00)."
    )


@strawberry.type
class WorkflowBucket(WorkflowFigures, FlowGridBucket):
    pass


@strawberry.type(description="The counts and rates of the whole range.")
class WorkflowTotals(WorkflowFigures):
    pass


@strawberry.type(description="One workflow's figures over the range.")
class TopWorkflow(WorkflowFigures):
    workflow_id: str
    name: str | None = strawberry.field(
        description="The latest non-empty name among its events by (occurred_at, event_id)."
    )
    runs_in_progress: int = strawberry.field(
        description="Its runs started at or before asOf with no completion or failure by then."
    )


@strawberry.type
class WorkflowMetrics(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone the buckets follow.")
    granularity: Granularity
    as_of: datetime = strawberry.field(description="The instant runsInProgress is judged at.")
    runs_in_progress: int = strawberry.field(
        description=(
            "Runs started at or before asOf (at any time) with neither a completion nor a"
            " failure at or before asOf."
        )
    )
    buckets: list[WorkflowBucket] = strawberry.field(
        description="Every bucket starting in [from, to), oldest first; empty ones as zeros."
    )
    totals: WorkflowTotals
    top_workflows: list[TopWorkflow] = strawberry.field(
        description="Workflows with events in the range, by the chosen figure; null rates left out."
    )


@strawberry.type
class SequenceBucket(SequenceFigures, FlowGridBucket):
    pass


@strawberry.type(description="The counts and rate of the whole range.")
class SequenceTotals(SequenceFigures):
    pass


@strawberry.type(description="Of the range: one step's executions and replies.")
class FunnelStep:
    step_number: int
    executed: int = strawberry.field(description="sequence.step_executed events of the step.")
    replied: int = strawberry.field(description="sequence.replied events of the step.")


@strawberry.type(description="One sequence's figures over the range.")
class TopSequence(SequenceFigures):
    sequence_id: str
    active_enrollments: int = strawberry.field(description="Its enrollments active at asOf.")


@strawberry.type
class SequenceMetrics(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone the buckets follow.")
    granularity: Granularity
    as_of: datetime = strawberry.field(description="The instant activeEnrollments is judged at.")
    active_enrollments: int = strawberry.field(
        description=(
            "Enrollments enrolled at or before asOf (at any time) with neither a completion nor"
            " a reply at or before asOf."
        )
    )
    buckets: list[SequenceBucket] = strawberry.field(
        description="Every bucket starting in [from, to), oldest first; empty ones as zeros."
    )
    totals: SequenceTotals
    step_funnel: list[FunnelStep] = strawberry.field(
        description="By step number, ascending; events without a step number are left out."
    )
    top_sequences: list[TopSequence] = strawberry.field(
        description="Sequences with events in the range, by the chosen figure; null rates left out."
    )


@strawberry.type
class AutomationBucket(AutomationFigures, FlowGridBucket):
    pass


@strawberry.type(description="The counts and rate of the whole range.")
class AutomationTotals(AutomationFigures):
    pass


@strawberry.type(description="One flow's figures over the range.")
class TopFlow(AutomationFigures):
    flow_id: str


@strawberry.type(description="One channel's figures over the range.")
class AutomationChannel(AutomationFigures):
    channel: str | None = strawberry.field(description="Null for events sent without a channel.")


@strawberry.type
class AutomationMetrics(Fresh):
    tenant_id: str
    time_zone: str = strawberry.field(description="The zone the buckets follow.")
    granularity: Granularity
    as_of: datetime = strawberry.field(
        description="When it was asked (counts are of stored events)."
    )
    buckets: list[AutomationBucket] = strawberry.field(
        description="Every bucket starting in [from, to), oldest first; empty ones as zeros."
    )
    totals: AutomationTotals
    top_flows: list[TopFlow] = strawberry.field(
        description="Flows with events in the range, by the chosen figure; null rates left out."
    )
    channels: list[AutomationChannel] = strawberry.field(
        description="Every channel with events in the range, by name; null (no channel) last."
    )


def instant(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def grid_fields(b: Bucket) -> dict[str, Any]:
    """A bucket's start, end and local start."""
    offset = timezone(timedelta(minutes=b.offset_minutes))
    return {
        "start": instant(b.start_ms),
        "end": instant(b.end_ms),
        "local_start": instant(b.start_ms).astimezone(offset),
    }


def workflow_fields(c: workflows.WorkflowCounts) -> dict[str, Any]:
    return {
        "runs": c.runs,
        "completed": c.completed,
        "failed": c.failed,
        "goal_reached": c.goal_reached,
        "completion_rate": c.completion_rate,
        "conversion_rate": c.conversion_rate,
    }


def sequence_fields(c: sequences.SequenceCounts) -> dict[str, Any]:
    return {
        "enrollments": c.enrollments,
        "steps_executed": c.steps_executed,
        "replied": c.replied,
        "completed": c.completed,
        "reply_rate": c.reply_rate,
    }


def automation_fields(c: automation.AutomationCounts) -> dict[str, Any]:
    return {"executed": c.executed, "failed": c.failed, "failure_rate": c.failure_rate}
