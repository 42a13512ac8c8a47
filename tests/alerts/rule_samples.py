"""A valid alert rule to vary in the rule tests."""

from __future__ import annotations

from typing import Any

from pulse.alerts.rules import AlertRule, Condition, RuleFilter


def rule(**changes: Any) -> AlertRule:
    """Seed 000's example: more than 5 SLA breaches in 15 minutes, urgent, support."""
    fields: dict[str, Any] = {
        "rule_id": "rul_1",
        "tenant_id": "acme",
        "name": "urgent breaches",
        "type": "sla_breach_rate",
        "metric": "sla_breached",
        "window": "15m",
        "condition": Condition("above", value=5),
        "destinations": ("dst_1",),
        "filter": RuleFilter(org_unit="support", priority="urgent"),
        "pending_seconds": 60,
        "cooldown_seconds": 600,
        "recovery": 2.0,
        "created_ms": 1_700_000_000_000,
        "updated_ms": 1_700_000_000_000,
        "created_by": "test",
    }
    fields.update(changes)
    return AlertRule(**fields)
