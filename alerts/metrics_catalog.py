"""The metrics an alert rule may watch: METRICS.md §3's figures, each with its family, the
filters its events carry and the seed rule types (000's ``analytics_alert``) it suits.

An explicit table rather than a walk over the families' query code: a rule is data a tenant
writes, so what it may name is a contract, and a figure the evaluator cannot compute on a live
window (messaging's peak hours, a campaign ranking) has no business here.
"""

from __future__ import annotations

from dataclasses import dataclass

FILTERS: tuple[str, ...] = ("org_unit", "channel", "priority")


@dataclass(frozen=True)
class MetricSpec:
    name: str
    family: str
    filters: frozenset[str]
    # Seed 000's types this metric fits; the generic ``threshold`` and ``anomaly`` fit all.
    types: frozenset[str]


def _family(
    family: str, filters: tuple[str, ...], metrics: dict[str, tuple[str, ...]]
) -> dict[str, MetricSpec]:
    return {
        name: MetricSpec(name, family, frozenset(filters), frozenset(types))
        for name, types in metrics.items()
    }


_MESSAGING = ("org_unit", "channel")
_CONVERSATIONS = ("org_unit", "channel", "priority")
# csat.submitted carries no priority
_CSAT = ("org_unit", "channel")

CATALOG: dict[str, MetricSpec] = {
    **_family(
        "messaging",
        _MESSAGING,
        {
            "sent": (),
            "delivered": (),
            "read": (),
            "clicked": (),
            "failed": ("channel_health",),
            "complained": ("channel_health",),
            "unsubscribed": (),
            "received": (),
            "delivery_rate": ("channel_health",),
            "read_rate": ("channel_health",),
            "click_rate": (),
            "failure_rate": ("channel_health",),
        },
    ),
    **_family(
        "helpdesk",
        _CONVERSATIONS,
        {
            "conversations_created": ("backlog_growth",),
            "conversations_resolved": (),
            "conversations_reopened": ("backlog_growth",),
            "frt_avg_seconds": (),
            "frt_p90_seconds": (),
            "resolution_avg_seconds": (),
            "sla_met": (),
            "sla_breached": ("sla_breach_rate",),
            "sla_breach_rate": ("sla_breach_rate",),
            "backlog": ("backlog_growth",),
        },
    ),
    **_family(
        "helpdesk",
        _CSAT,
        {"csat_responses": (), "csat_avg": ("csat_drop",), "csat_percent": ("csat_drop",)},
    ),
    **_family(
        "outreach",
        ("channel",),
        {
            "automation_executed": (),
            "automation_failed": ("automation_failure",),
            "automation_failure_rate": ("automation_failure",),
        },
    ),
    **_family(
        "outreach",
        (),
        {
            "workflow_runs": (),
            "workflow_failed": ("automation_failure",),
            "workflow_completion_rate": (),
            "workflow_conversion_rate": (),
        },
    ),
    **_family(
        "web",
        (),
        {
            "page_views": (),
            "visitors": (),
            "sessions": (),
            "bounce_rate": (),
            "avg_session_seconds": (),
            "active_visitors": (),
        },
    ),
}
