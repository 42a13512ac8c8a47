"""Messaging breakdowns: the counts of ``messaging_slots`` grouped by one or two dimensions.

Every figure is a sum of slot counts (rates derive from them), so the rows and ``other`` add up
to the total. A slot is counted when it starts in ``[from, to)``: 15-minute UTC slots, so a
bound inside a quarter hour counts from the next one. ``day`` and ``hour_of_day`` are the slot's
local date and hour in the question's zone (a slot lies in one local hour of every zone).
"""

from __future__ import annotations

from typing import Any

from pulse.families.breakdowns.run import breakdown
from pulse.families.breakdowns.spec import (
    Aggregate,
    BreakdownAnswer,
    BreakdownRequest,
    BreakdownSpec,
)
from pulse.families.messaging.model import COUNTS, MessagingQuery
from pulse.families.messaging.query import IN_RANGE, filter_clauses
from pulse.families.published_sql import rate_sql
from pulse.graphql.queries import Reader

_RATES = {
    "delivery_rate": ("delivered", "sent"),
    "read_rate": ("read", "delivered"),
    "click_rate": ("clicked", "delivered"),
    "failure_rate": ("failed", "sent"),
}

SPEC = BreakdownSpec(
    dimensions={
        "channel": "channel",
        "org_unit": "org_unit",
        "campaign": "campaign_id",
        "template": "template_id",
        "workflow": "workflow_id",
        "sequence": "sequence_id",
        "day": "toDate(slot, {tz:String})",
        "hour_of_day": "leftPad(toString(toHour(slot, {tz:String})), 2, '0')",
    },
    aggregates=tuple(Aggregate(c, "sum", c) for c in COUNTS),
    figures={
        **{c: c for c in COUNTS},
        **{name: rate_sql(n, d) for name, (n, d) in _RATES.items()},
    },
)

_SOURCE = f"SELECT * FROM messaging_slots FINAL WHERE {IN_RANGE} {{filters}}"


def messaging_breakdown(
    db: Reader, q: MessagingQuery, request: BreakdownRequest
) -> BreakdownAnswer:
    """``q``'s counts over its range broken down as ``request`` asks."""
    clauses, params = filter_clauses(q.filters)
    question: dict[str, Any] = {
        "tenant_id": q.tenant_id,
        "tz": q.time_zone,
        "from_ms": q.from_ms,
        "to_ms": q.to_ms,
    }
    return breakdown(
        db, SPEC, _SOURCE.replace("{filters}", clauses), {**params, **question}, request
    )
