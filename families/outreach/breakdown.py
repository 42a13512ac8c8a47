"""Outreach breakdowns: campaign and template figures grouped by one or two of campaign,
template, channel and local day.

The rows are the messaging slots starting in ``[from, to)`` (the eight counts, and ``usage``:
sent with a template) and the ``campaign.*`` events of the range (campaigns started and
completed: distinct campaign ids, which carry no template, so they fall under no template).
Counts add up over the groups; a campaign started on two channels is one campaign of the total,
and one of each channel's row: distinct counts are never summed (``families/breakdowns``).
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
from pulse.families.messaging.breakdown import SPEC as MESSAGING
from pulse.families.messaging.model import COUNTS
from pulse.families.messaging.query import IN_RANGE
from pulse.graphql.queries import Reader

_CAMPAIGN_EVENTS = ("campaign.started", "campaign.completed")
_ZERO_COUNTS = ", ".join(f"toUInt64(0) AS {c}" for c in COUNTS)

_SOURCE = f"""
SELECT * FROM (
    SELECT toString(channel) AS channel, campaign_id, template_id,
        toDate(slot, {{tz:String}}) AS day, {", ".join(COUNTS)}, '' AS event_type
    FROM messaging_slots FINAL
    WHERE {IN_RANGE}
    UNION ALL
    SELECT toString(channel) AS channel, campaign_id, '' AS template_id,
        toDate(occurred_at, {{tz:String}}) AS day, {_ZERO_COUNTS},
        toString(event_type) AS event_type
    FROM events_raw
    WHERE tenant_id = {{tenant_id:String}} AND event_type IN {_CAMPAIGN_EVENTS}
      AND occurred_at >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC')
      AND occurred_at < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')
)
WHERE 1 {{filters}}
"""

_DISTINCT = {
    "campaigns_started": "campaign.started",
    "campaigns_completed": "campaign.completed",
}

SPEC = BreakdownSpec(
    dimensions={
        "campaign": "campaign_id",
        "template": "template_id",
        "channel": "channel",
        "day": "day",
    },
    aggregates=(
        *MESSAGING.aggregates,
        Aggregate("usage", "sumIf", "sent, template_id != ''"),
        *(
            Aggregate(name, "uniqExactIf", f"campaign_id, event_type = '{kind}'")
            for name, kind in _DISTINCT.items()
        ),
    ),
    figures={
        **MESSAGING.figures,
        "usage": "usage",
        **{name: name for name in _DISTINCT},
    },
)

# The filters, by the source's column they fix.
_FILTERED = {"channel": "channel", "campaign": "campaign_id", "template": "template_id"}


@dataclass(frozen=True)
class OutreachQuestion:
    """One tenant's outreach figures over ``[from_ms, to_ms)``; ``day`` in ``time_zone``;
    ``filters`` by name of ``_FILTERED``."""

    tenant_id: str
    from_ms: int
    to_ms: int
    time_zone: str
    filters: Mapping[str, str]


def outreach_breakdown(
    db: Reader, q: OutreachQuestion, request: BreakdownRequest
) -> BreakdownAnswer:
    """``q``'s figures broken down as ``request`` asks."""
    clauses = "".join(f" AND {_FILTERED[n]} = {{f_{n}:String}}" for n in q.filters)
    params: dict[str, Any] = {
        "tenant_id": q.tenant_id,
        "tz": q.time_zone,
        "from_ms": q.from_ms,
        "to_ms": q.to_ms,
        **{f"f_{n}": v for n, v in q.filters.items()},
    }
    return breakdown(db, SPEC, _SOURCE.replace("{filters}", clauses), params, request)
