"""Workflow, sequence and automation breakdowns: each family's event counts grouped by one or two
of its dimensions (``families/breakdowns``).

The rows are the family's events in ``events_raw FINAL`` whose ``occurred_at`` is in ``[from,
to)``, under the same filters and in the same zone as ``workflowMetrics``, ``sequenceMetrics``
and ``automationMetrics`` (``flows_counts.py``), so a total equals their totals over the same
range. Every figure is a count of events (rates derive from them, as published), so rows and
`other` add up to the total. ``day`` is the local date of ``occurred_at`` in the zone; a
sequence event without a ``step_number`` falls under the step '' (null), and an automation
event without a channel under the channel '' (null).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulse.families.breakdowns.run import breakdown
from pulse.families.breakdowns.spec import (
    Aggregate,
    BreakdownAnswer,
    BreakdownRequest,
    BreakdownSpec,
)
from pulse.families.outreach import automation, sequences, workflows
from pulse.families.outreach.flows_counts import where_filters
from pulse.families.published_sql import rate_sql
from pulse.graphql.queries import Reader

_SOURCE = """
SELECT toString(event_type) AS event_type, toDate(occurred_at, {tz:String}) AS day,
    toString(workflow_id) AS workflow_id, toString(sequence_id) AS sequence_id,
    ifNull(toString(step_number), '') AS step, toString(flow_id) AS flow_id,
    toString(channel) AS channel
FROM events_raw FINAL
WHERE tenant_id = {tenant_id:String} AND event_type IN {types:Array(String)}
  AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
  AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC') {filters}
"""


@dataclass(frozen=True)
class FlowFamily:
    """One family's breakdown: its spec and the event types its rows are."""

    spec: BreakdownSpec
    event_types: tuple[str, ...]


def _counts(counted: Mapping[str, str]) -> tuple[Aggregate, ...]:
    """A ``countIf`` per figure over its event type (types are code's constants)."""
    return tuple(
        Aggregate(name, "countIf", f"event_type = '{kind}'") for name, kind in counted.items()
    )


def _family(
    dimensions: Mapping[str, str],
    counted: Mapping[str, str],
    rates: Mapping[str, tuple[str, str]],
) -> FlowFamily:
    spec = BreakdownSpec(
        dimensions={**dimensions, "day": "day"},
        aggregates=_counts(counted),
        figures={
            **{name: name for name in counted},
            **{name: rate_sql(n, d) for name, (n, d) in rates.items()},
        },
    )
    return FlowFamily(spec, tuple(counted.values()))


WORKFLOWS = _family(
    {"workflow": "workflow_id"},
    {
        "runs": workflows.STARTED,
        "completed": workflows.COMPLETED,
        "failed": workflows.FAILED,
        "goal_reached": workflows.GOAL,
    },
    {"completion_rate": ("completed", "runs"), "conversion_rate": ("goal_reached", "completed")},
)

SEQUENCES = _family(
    {"sequence": "sequence_id", "step": "step"},
    {
        "enrollments": sequences.ENROLLED,
        "steps_executed": sequences.STEP,
        "replied": sequences.REPLIED,
        "completed": sequences.COMPLETED,
    },
    {"reply_rate": ("replied", "enrollments")},
)

AUTOMATION = _family(
    {"flow": "flow_id", "channel": "channel"},
    {"executed": automation.EXECUTED, "failed": automation.FAILED},
    {"failure_rate": ("failed", "executed + failed")},
)


@dataclass(frozen=True)
class FlowQuestion:
    """One tenant's events over ``[from_ms, to_ms)``; ``day`` in ``time_zone``; ``filters`` fix
    event columns (names chosen by code, values bound as parameters)."""

    tenant_id: str
    from_ms: int
    to_ms: int
    time_zone: str
    filters: Mapping[str, str]


def flow_breakdown(
    db: Reader, family: FlowFamily, q: FlowQuestion, request: BreakdownRequest
) -> BreakdownAnswer:
    """``family``'s counts of ``q`` broken down as ``request`` asks."""
    params: dict[str, Any] = {
        "tenant_id": q.tenant_id,
        "types": list(family.event_types),
        "tz": q.time_zone,
        "from_ms": q.from_ms,
        "to_ms": q.to_ms,
        **{f"f_{column}": value for column, value in q.filters.items()},
    }
    source = _SOURCE.replace("{filters}", where_filters(q.filters))
    return breakdown(db, family.spec, source, params, request)
