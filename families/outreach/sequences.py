"""Sequence figures (METRICS.md §3 Outreach): enrollments, replies, completions, reply rate, the
step funnel of the range, the top sequences, and the enrollments still active at ``as_of``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pulse.families.helpdesk.model import Bucket, Granularity
from pulse.families.outreach.flows_counts import (
    Counts,
    CountsQuery,
    bucket_counts,
    open_at,
    where_filters,
)
from pulse.families.outreach.flows_ranking import top
from pulse.graphql.numbers import rate
from pulse.graphql.queries import Reader

ENROLLED = "sequence.enrolled"
STEP = "sequence.step_executed"
REPLIED = "sequence.replied"
COMPLETED = "sequence.completed"
EVENT_TYPES = (ENROLLED, STEP, REPLIED, COMPLETED)

SequenceFigure = Literal[
    "enrollments", "steps_executed", "replied", "completed", "reply_rate", "active_enrollments"
]

_FUNNEL_SQL = """
SELECT toInt64(step_number) AS step,
       toInt64(countIf(event_type = {step_type:String})) AS executed,
       toInt64(countIf(event_type = {replied_type:String})) AS replied
FROM events_raw FINAL
WHERE tenant_id = {tenant_id:String} AND event_type IN {funnel_types:Array(String)}
  AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
  AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
  AND step_number IS NOT NULL {filters}
GROUP BY step
ORDER BY step
"""


@dataclass(frozen=True)
class SequenceCounts:
    """One bucket's, the range's or one sequence's counts; the rate is a same-bucket ratio."""

    enrollments: int = 0
    steps_executed: int = 0
    replied: int = 0
    completed: int = 0

    @classmethod
    def of(cls, counts: Counts) -> SequenceCounts:
        return cls(
            enrollments=counts.get(ENROLLED, 0),
            steps_executed=counts.get(STEP, 0),
            replied=counts.get(REPLIED, 0),
            completed=counts.get(COMPLETED, 0),
        )

    @property
    def reply_rate(self) -> float | None:
        return rate(self.replied, self.enrollments)


@dataclass(frozen=True)
class FunnelStep:
    """Of the range: ``sequence.step_executed`` and ``sequence.replied`` events of one step."""

    step_number: int
    executed: int
    replied: int


@dataclass(frozen=True)
class SequenceEntry:
    """One sequence's counts over the range and its enrollments active at as_of."""

    sequence_id: str
    counts: SequenceCounts
    active_enrollments: int

    @property
    def enrollments(self) -> int:
        return self.counts.enrollments

    @property
    def steps_executed(self) -> int:
        return self.counts.steps_executed

    @property
    def replied(self) -> int:
        return self.counts.replied

    @property
    def completed(self) -> int:
        return self.counts.completed

    @property
    def reply_rate(self) -> float | None:
        return self.counts.reply_rate


@dataclass(frozen=True)
class SequenceQuery:
    """One tenant's sequence figures over ``buckets`` in ``time_zone``, judged at ``as_of_ms``;
    ``sequence_id`` keeps one sequence; ``top_by``/``limit`` shape the top list."""

    tenant_id: str
    buckets: tuple[Bucket, ...]
    time_zone: str
    granularity: Granularity
    as_of_ms: int
    sequence_id: str | None = None
    top_by: SequenceFigure = "enrollments"
    limit: int = 10


@dataclass(frozen=True)
class SequenceAnswer:
    buckets: tuple[SequenceCounts, ...]
    totals: SequenceCounts
    active_enrollments: int
    funnel: tuple[FunnelStep, ...]
    top: tuple[SequenceEntry, ...]


def step_funnel(db: Reader, q: CountsQuery) -> tuple[FunnelStep, ...]:
    """Per ``step_number`` over the range, ascending; events without a step are left out."""
    params = {
        **q.params(),
        "step_type": STEP,
        "replied_type": REPLIED,
        "funnel_types": [STEP, REPLIED],
    }
    sql = _FUNNEL_SQL.replace("{filters}", where_filters(q.filters))
    return tuple(
        FunnelStep(int(r["step"]), int(r["executed"]), int(r["replied"]))
        for r in db.query(sql, params)
    )


def sequence_answer(db: Reader, q: SequenceQuery) -> SequenceAnswer:
    """Counts per bucket and in total, the funnel, active enrollments and the top sequences."""
    filters = {} if q.sequence_id is None else {"sequence_id": q.sequence_id}
    counts_q = CountsQuery(q.tenant_id, q.buckets, q.time_zone, q.granularity, EVENT_TYPES, filters)
    counted = bucket_counts(db, counts_q, ("sequence_id",))
    active = open_at(
        db,
        q.tenant_id,
        q.as_of_ms,
        ("sequence_id", "enrollment_id"),
        ENROLLED,
        (COMPLETED, REPLIED),
        filters,
    )
    entries = [
        SequenceEntry(k, SequenceCounts.of(c), active.get(k, 0))
        for k, c in counted.by_key["sequence_id"].items()
    ]
    return SequenceAnswer(
        buckets=tuple(SequenceCounts.of(c) for c in counted.buckets),
        totals=SequenceCounts.of(counted.totals),
        active_enrollments=sum(active.values()),
        funnel=step_funnel(db, counts_q),
        top=tuple(top(entries, lambda e: getattr(e, q.top_by), lambda e: e.sequence_id, q.limit)),
    )
