"""The alert history: each rule's firings and resolutions (``alert_events``, written by the
evaluator) with the rule as it was, and the delivery attempts of each (``alert_deliveries``).

Read with ``FINAL``: an outbox row is written twice (unpublished, then published) and a replayed
sink batch inserts a delivery attempt again. Every read is one tenant's; a rule id of another
tenant finds nothing, as an unknown one does. Nothing here holds a destination's secret: an
attempt names its destination by id and kind only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from pulse.alerts.errors import RuleError
from pulse.alerts.rules import AlertRule
from pulse.graphql.queries import Reader

log = structlog.get_logger(__name__)

TRIGGERED = "analytics.alert.triggered"
RESOLVED = "analytics.alert.resolved"
EpisodeStatus = Literal["firing", "resolved"]
MAX_LIMIT = 1000


@dataclass(frozen=True)
class HistoryQuery:
    """One tenant's history, newest first: optionally one rule, ``occurred_at`` in
    ``[from_ms, to_ms)``, one kind, episodes in one status; at most ``limit`` entries."""

    tenant_id: str
    rule_id: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    kind: str | None = None
    status: EpisodeStatus | None = None
    limit: int = 100


@dataclass(frozen=True)
class DeliveryAttempt:
    destination_id: str
    destination_kind: str
    attempt: int
    outcome: str
    status_code: int
    error: str
    duration_ms: int
    attempted_at_ms: int


@dataclass(frozen=True)
class HistoryEntry:
    """A firing or a resolution; ``rule`` is the rule as it was (None if its record no longer
    reads as a rule); ``status`` is its episode's: resolved once a resolution is stored."""

    notification_id: str
    tenant_id: str
    rule_id: str
    kind: str
    episode_start_ms: int
    occurred_at_ms: int
    value: float | None
    threshold: float | None
    window_start_ms: int
    window_end_ms: int
    rule: AlertRule | None
    published: bool
    status: EpisodeStatus
    deliveries: tuple[DeliveryAttempt, ...]


_EVENTS_SQL = """
SELECT notification_id, tenant_id, rule_id, kind,
    toUnixTimestamp64Milli(episode_start) AS episode_start_ms,
    toUnixTimestamp64Milli(occurred_at) AS occurred_at_ms,
    value, threshold,
    toUnixTimestamp64Milli(window_start) AS window_start_ms,
    toUnixTimestamp64Milli(window_end) AS window_end_ms,
    rule_json, published,
    (rule_id, episode_start) IN (
        SELECT rule_id, episode_start FROM alert_events
        WHERE tenant_id = {tenant_id:String} AND kind = {resolved:String}
    ) AS episode_resolved
FROM alert_events FINAL
WHERE tenant_id = {tenant_id:String} {where}
ORDER BY occurred_at DESC, kind DESC, rule_id, notification_id
LIMIT {limit:UInt32}
"""

_WHERE = {
    "rule_id": " AND rule_id = {rule_id:String}",
    "from_ms": " AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')",
    "to_ms": " AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')",
    "kind": " AND kind = {kind:String}",
}
_STATUS = {"firing": " AND NOT episode_resolved", "resolved": " AND episode_resolved"}

_DELIVERIES_SQL = """
SELECT notification_id, destination_id, destination_kind, attempt, outcome, status_code, error,
    duration_ms, toUnixTimestamp64Milli(attempted_at) AS attempted_at_ms
FROM alert_deliveries FINAL
WHERE tenant_id = {tenant_id:String} AND notification_id IN {ids:Array(String)}
ORDER BY attempted_at, destination_id, attempt
"""

_LAST_FIRED_SQL = """
SELECT rule_id, toUnixTimestamp64Milli(max(occurred_at)) AS last_ms
FROM alert_events
WHERE tenant_id = {tenant_id:String} AND kind = {triggered:String}
  AND rule_id IN {rule_ids:Array(String)}
GROUP BY rule_id
"""


def alert_history(db: Reader, q: HistoryQuery) -> list[HistoryEntry]:
    """The entries of ``q``, newest first, each with its delivery attempts (oldest first)."""
    given = {
        name: value
        for name, value in (
            ("rule_id", q.rule_id),
            ("from_ms", q.from_ms),
            ("to_ms", q.to_ms),
            ("kind", q.kind),
        )
        if value is not None
    }
    where = "".join(_WHERE[name] for name in given)
    if q.status is not None:
        where += _STATUS[q.status]
    params = {"tenant_id": q.tenant_id, "resolved": RESOLVED, "limit": q.limit, **given}
    rows = db.query(_EVENTS_SQL.replace("{where}", where), params)
    attempts = _deliveries(db, q.tenant_id, [str(r["notification_id"]) for r in rows])
    return [_entry(row, attempts.get(str(row["notification_id"]), ())) for row in rows]


def last_fired(db: Reader, tenant_id: str, rule_ids: Iterable[str]) -> dict[str, int]:
    """When each of ``rule_ids`` last fired (ms), one query for them all; absent: never.

    No FINAL: a row's copies share its ``occurred_at``, so the newest is the same."""
    wanted = sorted(set(rule_ids))
    if not wanted:
        return {}
    params = {"tenant_id": tenant_id, "triggered": TRIGGERED, "rule_ids": wanted}
    return {str(r["rule_id"]): int(r["last_ms"]) for r in db.query(_LAST_FIRED_SQL, params)}


def _deliveries(
    db: Reader, tenant_id: str, notification_ids: list[str]
) -> dict[str, tuple[DeliveryAttempt, ...]]:
    if not notification_ids:
        return {}
    found: dict[str, list[DeliveryAttempt]] = {}
    params = {"tenant_id": tenant_id, "ids": sorted(set(notification_ids))}
    for row in db.query(_DELIVERIES_SQL, params):
        found.setdefault(str(row["notification_id"]), []).append(
            DeliveryAttempt(
                destination_id=str(row["destination_id"]),
                destination_kind=str(row["destination_kind"]),
                attempt=int(row["attempt"]),
                outcome=str(row["outcome"]),
                status_code=int(row["status_code"]),
                error=str(row["error"]),
                duration_ms=int(row["duration_ms"]),
                attempted_at_ms=int(row["attempted_at_ms"]),
            )
        )
    return {key: tuple(attempts) for key, attempts in found.items()}


def _entry(row: Mapping[str, Any], deliveries: tuple[DeliveryAttempt, ...]) -> HistoryEntry:
    return HistoryEntry(
        notification_id=str(row["notification_id"]),
        tenant_id=str(row["tenant_id"]),
        rule_id=str(row["rule_id"]),
        kind=str(row["kind"]),
        episode_start_ms=int(row["episode_start_ms"]),
        occurred_at_ms=int(row["occurred_at_ms"]),
        value=_number(row["value"]),
        threshold=_number(row["threshold"]),
        window_start_ms=int(row["window_start_ms"]),
        window_end_ms=int(row["window_end_ms"]),
        rule=_rule(row),
        published=bool(row["published"]),
        status="resolved" if row["episode_resolved"] else "firing",
        deliveries=deliveries,
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _rule(row: Mapping[str, Any]) -> AlertRule | None:
    raw = row["rule_json"]
    try:
        return AlertRule.from_json(raw.encode() if isinstance(raw, str) else bytes(raw))
    except RuleError as exc:
        # The history stays readable when an old rule no longer validates.
        log.warning(
            "alert_history_rule_unreadable",
            tenant_id=row["tenant_id"],
            rule_id=row["rule_id"],
            field=exc.field,
            reason=exc.reason,
        )
        return None
