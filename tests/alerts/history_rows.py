"""``alert_events`` and ``alert_deliveries`` rows as the evaluator and the deliverer write them."""

from __future__ import annotations

from typing import Any

from pulse.alerts.rules import AlertRule
from pulse.sinks.clickhouse import ClickHouse

TRIGGERED = "analytics.alert.triggered"
RESOLVED = "analytics.alert.resolved"
EVENT_COLUMNS = [
    "tenant_id",
    "rule_id",
    "notification_id",
    "kind",
    "episode_start",
    "occurred_at",
    "value",
    "threshold",
    "window_start",
    "window_end",
    "rule_json",
    "published",
    "version",
]
DELIVERY_COLUMNS = [
    "notification_id",
    "tenant_id",
    "rule_id",
    "notification_kind",
    "destination_id",
    "destination_kind",
    "attempt",
    "outcome",
    "status_code",
    "error",
    "duration_ms",
    "attempted_at",
]


def alert_event(
    rule: AlertRule,
    notification_id: str,
    kind: str,
    episode_start: int,
    occurred_at: int,
    value: float | None,
    published: int = 1,
) -> dict[str, Any]:
    """One history row of ``rule`` over the window ending at ``occurred_at``."""
    return {
        "tenant_id": rule.tenant_id,
        "rule_id": rule.rule_id,
        "notification_id": notification_id,
        "kind": kind,
        "episode_start": episode_start,
        "occurred_at": occurred_at,
        "value": value,
        "threshold": rule.condition.value,
        "window_start": occurred_at - rule.window_seconds * 1000,
        "window_end": occurred_at,
        "rule_json": rule.to_json().decode(),
        "published": published,
        # the outbox's second write (published) supersedes the first
        "version": 1 + published,
    }


def attempt(
    event: dict[str, Any], destination: str, n: int, outcome: str, code: int, at: int, **kw: Any
) -> dict[str, Any]:
    """One delivery attempt of the notification of ``event``."""
    return {
        "notification_id": event["notification_id"],
        "tenant_id": event["tenant_id"],
        "rule_id": event["rule_id"],
        "notification_kind": event["kind"],
        "destination_id": destination,
        "destination_kind": kw.get("kind", "webhook"),
        "attempt": n,
        "outcome": outcome,
        "status_code": code,
        "error": kw.get("error", ""),
        "duration_ms": kw.get("duration_ms", 12),
        "attempted_at": at,
    }


def insert_history(
    db: ClickHouse, events: list[dict[str, Any]], attempts: list[dict[str, Any]]
) -> None:
    db.insert("alert_events", events, EVENT_COLUMNS)
    if attempts:
        db.insert("alert_deliveries", attempts, DELIVERY_COLUMNS)
