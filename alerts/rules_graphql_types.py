"""The GraphQL shapes of an alert rule: the type answered and the input of the mutations."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import strawberry

from pulse.alerts.rules import AlertRule, Condition, RuleFilter


@strawberry.enum(description="Seed 000's alert types, the generic threshold, and anomaly.")
class AlertRuleType(Enum):
    SLA_BREACH_RATE = "sla_breach_rate"
    BACKLOG_GROWTH = "backlog_growth"
    CSAT_DROP = "csat_drop"
    AUTOMATION_FAILURE = "automation_failure"
    CHANNEL_HEALTH = "channel_health"
    THRESHOLD = "threshold"
    ANOMALY = "anomaly"


@strawberry.enum
class AlertConditionOp(Enum):
    ABOVE = "above"
    BELOW = "below"
    CHANGE_PCT = "change_pct"
    ANOMALY = "anomaly"


@strawberry.enum(description="What a window without events does to the rule's state.")
class AlertNoData(Enum):
    KEEP = "keep"
    FIRE = "fire"
    RESOLVE = "resolve"


@strawberry.enum
class AlertRuleStatus(Enum):
    ACTIVE = "active"
    PAUSED = "paused"


@strawberry.type(name="AlertRuleFilter")
class AlertRuleFilterView:
    org_unit: str | None
    channel: str | None
    priority: str | None


@strawberry.type(name="AlertCondition")
class AlertConditionView:
    op: AlertConditionOp
    value: float | None = strawberry.field(
        description="above/below: the threshold; changePct: the change in % (negative: a fall)."
    )
    k: float | None = strawberry.field(description="anomaly: standard deviations off the mean.")
    weeks: int | None = strawberry.field(description="anomaly: past weeks of the baseline.")


@strawberry.type(name="AlertRule")
class AlertRuleView:
    id: strawberry.ID
    tenant_id: str
    name: str
    type: AlertRuleType
    metric: str
    filter: AlertRuleFilterView
    window: str
    condition: AlertConditionView
    pending_seconds: int
    cooldown_seconds: int
    recovery: float | None = strawberry.field(
        description="The value that resolves a firing (k for anomaly); null: the threshold."
    )
    no_data: AlertNoData
    status: AlertRuleStatus
    destinations: list[str]
    created_at: datetime
    updated_at: datetime
    created_by: str
    last_fired_at: datetime | None = strawberry.field(
        description="When the rule last fired (its newest firing in the history); null: never."
    )


@strawberry.input
class AlertRuleFilterInput:
    org_unit: str | None = None
    channel: str | None = None
    priority: str | None = None


@strawberry.input
class AlertConditionInput:
    op: AlertConditionOp
    value: float | None = None
    k: float | None = None
    weeks: int | None = None


@strawberry.input
class AlertRuleInput:
    name: str
    type: AlertRuleType
    metric: str = strawberry.field(
        description="A metric of the alert catalogue, e.g. sla_breached."
    )
    window: str = strawberry.field(description="5m, 15m, 1h, 1d… between 1m and 7d.")
    condition: AlertConditionInput
    destinations: list[str] = strawberry.field(description="Ids of the tenant's destinations.")
    filter: AlertRuleFilterInput | None = None
    pending_seconds: int = 0
    cooldown_seconds: int = 0
    recovery: float | None = None
    no_data: AlertNoData = AlertNoData.KEEP
    tenant_id: str | None = None


def rule_fields(given: AlertRuleInput) -> dict[str, Any]:
    """The input as the rule's editable fields; the model validates them."""
    f = given.filter or AlertRuleFilterInput()
    c = given.condition
    return {
        "name": given.name,
        "type": given.type.value,
        "metric": given.metric,
        "window": given.window,
        "condition": Condition(c.op.value, value=c.value, k=c.k, weeks=c.weeks),
        "destinations": tuple(given.destinations),
        "filter": RuleFilter(org_unit=f.org_unit, channel=f.channel, priority=f.priority),
        "pending_seconds": given.pending_seconds,
        "cooldown_seconds": given.cooldown_seconds,
        "recovery": given.recovery,
        "no_data": given.no_data.value,
    }


def view(rule: AlertRule, last_fired_ms: int | None = None) -> AlertRuleView:
    c = rule.condition
    return AlertRuleView(
        id=strawberry.ID(rule.rule_id),
        tenant_id=rule.tenant_id,
        name=rule.name,
        type=AlertRuleType(rule.type),
        metric=rule.metric,
        filter=AlertRuleFilterView(
            org_unit=rule.filter.org_unit,
            channel=rule.filter.channel,
            priority=rule.filter.priority,
        ),
        window=rule.window,
        condition=AlertConditionView(
            op=AlertConditionOp(c.op), value=c.value, k=c.k, weeks=c.weeks
        ),
        pending_seconds=rule.pending_seconds,
        cooldown_seconds=rule.cooldown_seconds,
        recovery=rule.recovery,
        no_data=AlertNoData(rule.no_data),
        status=AlertRuleStatus(rule.status),
        destinations=list(rule.destinations),
        created_at=_instant(rule.created_ms),
        updated_at=_instant(rule.updated_ms),
        created_by=rule.created_by,
        last_fired_at=None if last_fired_ms is None else _instant(last_fired_ms),
    )


def _instant(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
