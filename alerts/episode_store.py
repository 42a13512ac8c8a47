"""The evaluator's memory in ClickHouse: rule states (``alert_states``) and episode events
(``alert_events``, also the outbox of notifications not yet acknowledged by Kafka).

Both tables are ``ReplacingMergeTree(version)`` read with ``FINAL``; every write carries a
version from :class:`Versions`, so the latest write of a key wins whatever the merges do.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from pulse.alerts.episodes import RuleState, StateName
from pulse.alerts.notifications import Kind, Notification
from pulse.alerts.rules import AlertRule
from pulse.sinks.clickhouse import ClickHouse

STATE_COLUMNS = (
    "tenant_id",
    "rule_id",
    "state",
    "since",
    "episode_start",
    "last_fired_at",
    "last_value",
    "version",
)
EVENT_COLUMNS = (
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
)

_STATES_SQL = """
SELECT tenant_id, rule_id, toString(state) AS state,
       toUnixTimestamp64Milli(since) AS since, toUnixTimestamp64Milli(episode_start) AS episode,
       toUnixTimestamp64Milli(last_fired_at) AS fired, last_value
FROM alert_states FINAL
"""
_UNPUBLISHED_SQL = """
SELECT toString(kind) AS kind, toUnixTimestamp64Milli(episode_start) AS episode_start,
       toUnixTimestamp64Milli(occurred_at) AS occurred_at, value, threshold,
       toUnixTimestamp64Milli(window_start) AS window_start,
       toUnixTimestamp64Milli(window_end) AS window_end, rule_json
FROM alert_events FINAL
WHERE published = 0
ORDER BY occurred_at, kind DESC
"""


class Versions:
    """Strictly increasing versions (ns since the epoch), also across restarts of the process."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last = max(self._last + 1, time.time_ns())
            return self._last


@dataclass(frozen=True)
class EpisodeEvent:
    """A firing or a resolution, with the rule as it was and the window it was seen on."""

    rule: AlertRule
    kind: Kind
    episode_start: int
    occurred_at: int
    value: float | None
    threshold: float | None
    window_start: int
    window_end: int

    def notification(self) -> Notification:
        """The notification of this event: the same fields give the same id and payload."""
        rule = self.rule
        payload = {
            "rule_name": rule.name,
            "metric": rule.metric,
            "value": self.value,
            "threshold": self.threshold,
            "window": rule.window,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "filter": rule.filter.given(),
        }
        return Notification.of_episode(
            rule.tenant_id,
            rule.rule_id,
            self.kind,
            self.episode_start,
            self.occurred_at,
            payload,
            rule.destinations,
        )


class EpisodeStore:
    def __init__(self, db: ClickHouse, versions: Versions) -> None:
        self._db = db
        self._versions = versions

    def states(self) -> dict[str, RuleState]:
        """Every rule's stored state, by rule id."""
        return {
            str(row["rule_id"]): RuleState(
                state=_state_name(str(row["state"])),
                since_ms=int(row["since"]),
                episode_start_ms=int(row["episode"]),
                last_fired_ms=int(row["fired"]) or None,
                last_value=row["last_value"],
            )
            for row in self._db.query(_STATES_SQL)
        }

    def save_state(self, rule: AlertRule, state: RuleState) -> None:
        row = {
            "tenant_id": rule.tenant_id,
            "rule_id": rule.rule_id,
            "state": state.state,
            "since": state.since_ms,
            "episode_start": state.episode_start_ms,
            # 0 (the epoch) stands for "never fired": the column is not nullable.
            "last_fired_at": state.last_fired_ms or 0,
            "last_value": state.last_value,
            "version": self._versions.next(),
        }
        self._db.insert("alert_states", [row], STATE_COLUMNS)

    def save_event(self, event: EpisodeEvent, published: bool) -> None:
        row: dict[str, Any] = {
            "tenant_id": event.rule.tenant_id,
            "rule_id": event.rule.rule_id,
            "notification_id": event.notification().notification_id,
            "kind": event.kind,
            "episode_start": event.episode_start,
            "occurred_at": event.occurred_at,
            "value": event.value,
            "threshold": event.threshold,
            "window_start": event.window_start,
            "window_end": event.window_end,
            "rule_json": event.rule.to_json().decode(),
            "published": int(published),
            "version": self._versions.next(),
        }
        self._db.insert("alert_events", [row], EVENT_COLUMNS)

    def unpublished(self) -> list[EpisodeEvent]:
        """The events stored but not known to be acknowledged by Kafka, oldest first."""
        return [
            EpisodeEvent(
                rule=AlertRule.from_json(str(row["rule_json"]).encode()),
                kind=_kind(str(row["kind"])),
                episode_start=int(row["episode_start"]),
                occurred_at=int(row["occurred_at"]),
                value=row["value"],
                threshold=row["threshold"],
                window_start=int(row["window_start"]),
                window_end=int(row["window_end"]),
            )
            for row in self._db.query(_UNPUBLISHED_SQL)
        ]


def _state_name(text: str) -> StateName:
    # Only this module writes the column, from a StateName.
    return cast(StateName, text)


def _kind(text: str) -> Kind:
    # Only this module writes the column, from a Kind.
    return cast(Kind, text)
