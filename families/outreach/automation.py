"""Automation figures (METRICS.md §3 Outreach): executions, failures and the failure rate, per
bucket and in total, with the top flows and every channel of the range.

``channel`` is optional on automation events and stored as ``""`` when absent: such events
count everywhere, form their own entry (channel null) in the channel list, and match no
``channel`` filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pulse.families.helpdesk.model import Bucket, Granularity
from pulse.families.outreach.flows_counts import Counts, CountsQuery, bucket_counts
from pulse.families.outreach.flows_ranking import top
from pulse.graphql.numbers import rate
from pulse.graphql.queries import Reader

EXECUTED = "automation.executed"
FAILED = "automation.failed"
EVENT_TYPES = (EXECUTED, FAILED)

AutomationFigure = Literal["executed", "failed", "failure_rate"]


@dataclass(frozen=True)
class AutomationCounts:
    """One bucket's, the range's, one flow's or one channel's counts."""

    executed: int = 0
    failed: int = 0

    @classmethod
    def of(cls, counts: Counts) -> AutomationCounts:
        return cls(executed=counts.get(EXECUTED, 0), failed=counts.get(FAILED, 0))

    @property
    def failure_rate(self) -> float | None:
        return rate(self.failed, self.executed + self.failed)


@dataclass(frozen=True)
class AutomationQuery:
    """One tenant's automation figures over ``buckets`` in ``time_zone``; ``flow_id`` and
    ``channel`` keep only those events; ``top_by``/``limit`` shape the flow list."""

    tenant_id: str
    buckets: tuple[Bucket, ...]
    time_zone: str
    granularity: Granularity
    flow_id: str | None = None
    channel: str | None = None
    top_by: AutomationFigure = "executed"
    limit: int = 10


@dataclass(frozen=True)
class AutomationAnswer:
    buckets: tuple[AutomationCounts, ...]
    totals: AutomationCounts
    top_flows: tuple[tuple[str, AutomationCounts], ...]
    # Ordered by channel, the events without one (None) last.
    channels: tuple[tuple[str | None, AutomationCounts], ...]


def automation_answer(db: Reader, q: AutomationQuery) -> AutomationAnswer:
    """Counts per bucket and in total, the top flows and the per-channel breakdown."""
    fixed = {"flow_id": q.flow_id, "channel": q.channel}
    filters = {column: value for column, value in fixed.items() if value is not None}
    counts_q = CountsQuery(q.tenant_id, q.buckets, q.time_zone, q.granularity, EVENT_TYPES, filters)
    counted = bucket_counts(db, counts_q, ("flow_id", "channel"))
    flows = [(k, AutomationCounts.of(c)) for k, c in counted.by_key["flow_id"].items()]
    by_channel = counted.by_key["channel"]
    channels = sorted(by_channel, key=lambda c: (c == "", c))
    return AutomationAnswer(
        buckets=tuple(AutomationCounts.of(c) for c in counted.buckets),
        totals=AutomationCounts.of(counted.totals),
        top_flows=tuple(top(flows, lambda e: getattr(e[1], q.top_by), lambda e: e[0], q.limit)),
        channels=tuple((c or None, AutomationCounts.of(by_channel[c])) for c in channels),
    )
