"""Workflow figures (METRICS.md §3 Outreach): runs, completions, failures, goals, their rates,
the top workflows of the range with their names, and the runs still going at ``as_of``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pulse.families.helpdesk.model import Bucket, Granularity
from pulse.families.outreach.flows_counts import (
    Counts,
    CountsQuery,
    bucket_counts,
    open_at,
)
from pulse.families.outreach.flows_ranking import top
from pulse.graphql.numbers import rate
from pulse.graphql.queries import Reader

STARTED = "workflow.run_started"
COMPLETED = "workflow.run_completed"
FAILED = "workflow.run_failed"
GOAL = "workflow.goal_reached"
EVENT_TYPES = (STARTED, COMPLETED, FAILED, GOAL)

WorkflowFigure = Literal[
    "runs", "completed", "failed", "goal_reached", "completion_rate", "conversion_rate"
]

_NAME_SQL = """
SELECT toString(workflow_id) AS id, argMax(name, (occurred_at, event_id)) AS latest
FROM events_raw FINAL
WHERE tenant_id = {tenant_id:String} AND event_type IN {types:Array(String)}
  AND workflow_id IN {ids:Array(String)} AND name != ''
GROUP BY workflow_id
"""


@dataclass(frozen=True)
class WorkflowCounts:
    """One bucket's, the range's or one workflow's counts; rates are same-bucket ratios."""

    runs: int = 0
    completed: int = 0
    failed: int = 0
    goal_reached: int = 0

    @classmethod
    def of(cls, counts: Counts) -> WorkflowCounts:
        return cls(
            runs=counts.get(STARTED, 0),
            completed=counts.get(COMPLETED, 0),
            failed=counts.get(FAILED, 0),
            goal_reached=counts.get(GOAL, 0),
        )

    @property
    def completion_rate(self) -> float | None:
        return rate(self.completed, self.runs)

    @property
    def conversion_rate(self) -> float | None:
        return rate(self.goal_reached, self.completed)


@dataclass(frozen=True)
class WorkflowEntry:
    """One workflow's counts over the range, its name when known, its runs going at as_of."""

    workflow_id: str
    name: str | None
    counts: WorkflowCounts
    runs_in_progress: int


@dataclass(frozen=True)
class WorkflowQuery:
    """One tenant's workflow figures over ``buckets`` in ``time_zone``, judged at ``as_of_ms``;
    ``workflow_id`` keeps one workflow; ``top_by``/``limit`` shape the top list."""

    tenant_id: str
    buckets: tuple[Bucket, ...]
    time_zone: str
    granularity: Granularity
    as_of_ms: int
    workflow_id: str | None = None
    top_by: WorkflowFigure = "runs"
    limit: int = 10


@dataclass(frozen=True)
class WorkflowAnswer:
    buckets: tuple[WorkflowCounts, ...]
    totals: WorkflowCounts
    runs_in_progress: int
    top: tuple[WorkflowEntry, ...]


def latest_names(db: Reader, tenant_id: str, ids: Sequence[str]) -> dict[str, str]:
    """Each workflow's latest non-empty ``name`` among all its stored events, by
    ``(occurred_at, event_id)``; workflows never named are absent."""
    if not ids:
        return {}
    params = {"tenant_id": tenant_id, "types": list(EVENT_TYPES), "ids": list(ids)}
    return {str(r["id"]): str(r["latest"]) for r in db.query(_NAME_SQL, params)}


def workflow_answer(db: Reader, q: WorkflowQuery) -> WorkflowAnswer:
    """Counts per bucket and in total, runs going at ``as_of``, and the top workflows."""
    filters = {} if q.workflow_id is None else {"workflow_id": q.workflow_id}
    counts_q = CountsQuery(q.tenant_id, q.buckets, q.time_zone, q.granularity, EVENT_TYPES, filters)
    counted = bucket_counts(db, counts_q, ("workflow_id",))
    going = open_at(
        db,
        q.tenant_id,
        q.as_of_ms,
        ("workflow_id", "run_id"),
        STARTED,
        (COMPLETED, FAILED),
        filters,
    )
    per_workflow = {k: WorkflowCounts.of(c) for k, c in counted.by_key["workflow_id"].items()}
    chosen = top(
        per_workflow.items(),
        lambda e: getattr(e[1], q.top_by),
        lambda e: e[0],
        q.limit,
    )
    names = latest_names(db, q.tenant_id, [k for k, _ in chosen])
    return WorkflowAnswer(
        buckets=tuple(WorkflowCounts.of(c) for c in counted.buckets),
        totals=WorkflowCounts.of(counted.totals),
        runs_in_progress=sum(going.values()),
        top=tuple(WorkflowEntry(k, names.get(k), counts, going.get(k, 0)) for k, counts in chosen),
    )
