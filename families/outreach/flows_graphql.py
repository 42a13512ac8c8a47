"""Root fields ``workflowMetrics``, ``sequenceMetrics`` and ``automationMetrics``.

Each frames its question like the other families (tenant scoping, zone, asOf, grid and its
refusal) and reads ClickHouse in the thread pool.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.outreach import automation, sequences, workflows
from pulse.families.outreach.flows_types import (
    AutomationBucket,
    AutomationChannel,
    AutomationMetrics,
    AutomationRanking,
    AutomationTotals,
    FunnelStep,
    SequenceBucket,
    SequenceMetrics,
    SequenceRanking,
    SequenceTotals,
    TopFlow,
    TopSequence,
    TopWorkflow,
    WorkflowBucket,
    WorkflowMetrics,
    WorkflowRanking,
    WorkflowTotals,
    automation_fields,
    grid_fields,
    instant,
    sequence_fields,
    workflow_fields,
)
from pulse.families.questions import GRANULARITY, TenantId, TimeZone, frame_question
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.permissions import CanView
from pulse.graphql.types import Granularity

MAX_LIMIT = 1000

From = Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")]
To = Annotated[datetime, strawberry.argument(description="Exclusive.")]
AsOf = Annotated[
    datetime | None,
    strawberry.argument(description="The instant states (in progress, active) are judged at."),
]
Limit = Annotated[
    int, strawberry.argument(description=f"How many entries the top list holds, 1..{MAX_LIMIT}.")
]


Workflow = Annotated[
    str | None, strawberry.argument(description="Only this workflow (workflow_id).")
]
Sequence = Annotated[
    str | None, strawberry.argument(description="Only this sequence (sequence_id).")
]
Flow = Annotated[str | None, strawberry.argument(description="Only this flow (flow_id).")]
Channel = Annotated[
    str | None,
    strawberry.argument(description="Only this channel; events without one match no channel."),
]


def _checked(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgumentError(
            f"'limit' {limit} is outside 1..{MAX_LIMIT}.",
            suggestion=f"Ask for between 1 and {MAX_LIMIT} entries.",
            argument="limit",
        )
    return limit


async def workflow_metrics(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    granularity: Granularity,
    as_of: AsOf = None,
    time_zone_: TimeZone = None,
    workflow: Workflow = None,
    top_by: WorkflowRanking = WorkflowRanking.RUNS,
    limit: Limit = 10,
    tenant_id: TenantId = None,
) -> WorkflowMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, as_of, time_zone_)
    question = workflows.WorkflowQuery(
        q.tenant,
        q.buckets,
        q.zone,
        GRANULARITY[granularity],
        q.as_of_ms,
        workflow,
        top_by.value,
        _checked(limit),
    )
    db = info.context.services.clickhouse
    answer = await run_in_threadpool(workflows.workflow_answer, db, question)
    return WorkflowMetrics(
        tenant_id=q.tenant,
        time_zone=q.zone,
        granularity=granularity,
        as_of=instant(q.as_of_ms),
        runs_in_progress=answer.runs_in_progress,
        buckets=[
            WorkflowBucket(**grid_fields(b), **workflow_fields(c))
            for b, c in zip(q.buckets, answer.buckets, strict=True)
        ],
        totals=WorkflowTotals(**workflow_fields(answer.totals)),
        top_workflows=[
            TopWorkflow(
                workflow_id=e.workflow_id,
                name=e.name,
                runs_in_progress=e.runs_in_progress,
                **workflow_fields(e.counts),
            )
            for e in answer.top
        ],
    )


async def sequence_metrics(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    granularity: Granularity,
    as_of: AsOf = None,
    time_zone_: TimeZone = None,
    sequence: Sequence = None,
    top_by: SequenceRanking = SequenceRanking.ENROLLMENTS,
    limit: Limit = 10,
    tenant_id: TenantId = None,
) -> SequenceMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, as_of, time_zone_)
    question = sequences.SequenceQuery(
        q.tenant,
        q.buckets,
        q.zone,
        GRANULARITY[granularity],
        q.as_of_ms,
        sequence,
        top_by.value,
        _checked(limit),
    )
    db = info.context.services.clickhouse
    answer = await run_in_threadpool(sequences.sequence_answer, db, question)
    return SequenceMetrics(
        tenant_id=q.tenant,
        time_zone=q.zone,
        granularity=granularity,
        as_of=instant(q.as_of_ms),
        active_enrollments=answer.active_enrollments,
        buckets=[
            SequenceBucket(**grid_fields(b), **sequence_fields(c))
            for b, c in zip(q.buckets, answer.buckets, strict=True)
        ],
        totals=SequenceTotals(**sequence_fields(answer.totals)),
        step_funnel=[
            FunnelStep(step_number=s.step_number, executed=s.executed, replied=s.replied)
            for s in answer.funnel
        ],
        top_sequences=[
            TopSequence(
                sequence_id=e.sequence_id,
                active_enrollments=e.active_enrollments,
                **sequence_fields(e.counts),
            )
            for e in answer.top
        ],
    )


async def automation_metrics(
    info: Info[ApiContext, None],
    from_: From,
    to: To,
    granularity: Granularity,
    as_of: AsOf = None,
    time_zone_: TimeZone = None,
    flow: Flow = None,
    channel: Channel = None,
    top_by: AutomationRanking = AutomationRanking.EXECUTED,
    limit: Limit = 10,
    tenant_id: TenantId = None,
) -> AutomationMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, as_of, time_zone_)
    question = automation.AutomationQuery(
        q.tenant,
        q.buckets,
        q.zone,
        GRANULARITY[granularity],
        flow,
        channel,
        top_by.value,
        _checked(limit),
    )
    db = info.context.services.clickhouse
    answer = await run_in_threadpool(automation.automation_answer, db, question)
    return AutomationMetrics(
        tenant_id=q.tenant,
        time_zone=q.zone,
        granularity=granularity,
        as_of=instant(q.as_of_ms),
        buckets=[
            AutomationBucket(**grid_fields(b), **automation_fields(c))
            for b, c in zip(q.buckets, answer.buckets, strict=True)
        ],
        totals=AutomationTotals(**automation_fields(answer.totals)),
        top_flows=[TopFlow(flow_id=f, **automation_fields(c)) for f, c in answer.top_flows],
        channels=[
            AutomationChannel(channel=name, **automation_fields(c)) for name, c in answer.channels
        ],
    )


_RANGE = "of every bucket starting in [from, to) and of the whole range, in the tenant's zone"


@strawberry.type
class OutreachFlowQueries:
    workflow_metrics: WorkflowMetrics | None = strawberry.field(
        resolver=workflow_metrics,
        permission_classes=[CanView],
        description=f"Workflow runs, completions, failures, goals and rates {_RANGE} (or"
        " timeZone), the top workflows and the runs in progress at asOf.",
    )
    sequence_metrics: SequenceMetrics | None = strawberry.field(
        resolver=sequence_metrics,
        permission_classes=[CanView],
        description=f"Sequence enrollments, replies, completions and reply rate {_RANGE} (or"
        " timeZone), the step funnel, the top sequences and the enrollments active at asOf.",
    )
    automation_metrics: AutomationMetrics | None = strawberry.field(
        resolver=automation_metrics,
        permission_classes=[CanView],
        description=f"Automation executions, failures and failure rate {_RANGE} (or timeZone),"
        " the top flows and every channel.",
    )
