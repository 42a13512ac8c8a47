"""Evaluates alert rules on their windows and publishes each firing and resolution, exactly once
as far as a receiver can tell (alerts/README.md, "Evaluation").

Order of one transition, which is what makes a crash harmless:

1. store the ``alert_events`` row with ``published = 0`` and the rule's new state;
2. publish the notification and wait for Kafka's ack;
3. store the row again with ``published = 1``.

A crash before 1 loses nothing the next evaluation will not see again (the state did not move);
a crash between 1 and 3 leaves an unpublished row that the next term publishes (same episode
start, so the same notification id: receivers deduplicate on ``webhook-id``); its state is
restored from that row too, should the crash have come between the two writes of 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Literal

import structlog

from pulse.alerts.episode_store import EpisodeEvent, EpisodeStore
from pulse.alerts.episodes import (
    TRIGGERED,
    Comparison,
    RuleState,
    baseline,
    history_windows,
    step,
)
from pulse.alerts.errors import AlertPublishError
from pulse.alerts.metrics_catalog import CATALOG
from pulse.alerts.notifications import Notification
from pulse.alerts.pass_memo import PassMemo
from pulse.alerts.readings import READERS, read
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import AlertRule
from pulse.faults import ALERTS_AFTER_FIRING_STORED, FaultPoints
from pulse.metrics import ALERT_EVALUATIONS, ALERT_TRANSITIONS
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings

log = structlog.get_logger(__name__)

Trigger = Literal["events", "sweep"]


def reconcile(states: dict[str, RuleState], unpublished: Iterable[EpisodeEvent]) -> None:
    """Brings ``states`` up to the unpublished events (oldest first) a crash may have stored
    without the state that goes with them, so a restart does not fire the episode again."""
    for event in unpublished:
        rule_id = event.rule.rule_id
        state = states.get(rule_id, RuleState())
        if event.kind == TRIGGERED:
            if (state.last_fired_ms or 0) < event.episode_start:
                start = event.episode_start
                states[rule_id] = RuleState("firing", event.occurred_at, start, start, event.value)
        elif state.state == "firing" and state.episode_start_ms == event.episode_start:
            states[rule_id] = replace(
                state, state="normal", since_ms=event.occurred_at, last_value=event.value
            )


class Evaluator:
    """Holds every rule's state; evaluates rules at the clock's instant (ms)."""

    def __init__(
        self,
        db: ClickHouse,
        store: EpisodeStore,
        publish: Callable[[Notification], None],
        faults: FaultPoints,
        clock_ms: Callable[[], int],
        tenant_settings: Callable[[str], TenantSettings] = lambda _: TenantSettings(),
    ) -> None:
        self._db = db
        # SLA targets and engaged web events are the tenant's, read at each evaluation.
        self._tenant_settings = tenant_settings
        self._store = store
        self._publish = publish
        self._faults = faults
        self._clock_ms = clock_ms
        self._states: dict[str, RuleState] = {}
        self._unreadable: set[str] = set()
        # Set when a publication failed: the outbox is flushed again before the next pass.
        self.outbox_due = False

    def state(self, rule_id: str) -> RuleState:
        return self._states.get(rule_id, RuleState())

    def start_term(self) -> int:
        """States from ClickHouse and the outbox flushed: at start and whenever this process
        (re)takes the lease, since another may have acted in between. How many it published."""
        self._states = self._store.states()
        unpublished = self._store.unpublished()
        reconcile(self._states, unpublished)
        return self.flush_outbox(unpublished)

    def flush_outbox(self, unpublished: list[EpisodeEvent] | None = None) -> int:
        events = self._store.unpublished() if unpublished is None else unpublished
        self.outbox_due = False
        for event in events:
            self._send(event)
        if events:
            log.info("alert outbox flushed", notifications=len(events))
        return len(events)

    def evaluate(self, rules: Iterable[AlertRule], trigger: Trigger) -> int:
        """Evaluates the active ``rules`` now; how many it evaluated."""
        now_ms = self._clock_ms()
        memo = PassMemo(self._db)
        evaluated = 0
        for rule in rules:
            if rule.status == "active" and self._readable(rule):
                self._evaluate(memo, rule, now_ms)
                evaluated += 1
        ALERT_EVALUATIONS.labels(trigger).inc(evaluated)
        return evaluated

    def forget_except(self, rule_ids: set[str]) -> None:
        """Drops the state of every rule not in ``rule_ids``: deleted rules end silently."""
        for rule_id in set(self._states) - rule_ids:
            del self._states[rule_id]

    def _readable(self, rule: AlertRule) -> bool:
        if CATALOG[rule.metric].family in READERS:
            return True
        if rule.rule_id not in self._unreadable:
            self._unreadable.add(rule.rule_id)
            log.warning(
                "alert rule not evaluated: no reader for its metric",
                tenant_id=rule.tenant_id,
                rule_id=rule.rule_id,
                metric=rule.metric,
            )
        return False

    def _evaluate(self, memo: PassMemo, rule: AlertRule, now_ms: int) -> None:
        window_ms = rule.window_seconds * 1000
        start_ms = now_ms - window_ms
        tenant = self._tenant_settings(rule.tenant_id)
        current = read(
            memo, rule.tenant_id, rule.metric, rule.filter, start_ms, now_ms, tenant=tenant
        )
        comparison = self._comparison(memo, rule, tenant, start_ms, now_ms)
        state = self.state(rule.rule_id)
        new, transition = step(rule, state, current, comparison, now_ms)
        if new == state:
            return
        self._states[rule.rule_id] = new
        if transition is None:
            self._store.save_state(rule, new)
            return
        event = EpisodeEvent(
            rule,
            transition.kind,
            transition.episode_start_ms,
            now_ms,
            transition.value,
            transition.threshold,
            start_ms,
            now_ms,
        )
        self._store.save_event(event, published=False)
        self._store.save_state(rule, new)
        self._faults.hit(ALERTS_AFTER_FIRING_STORED)
        self._send(event)

    def _send(self, event: EpisodeEvent) -> None:
        notification = event.notification()
        try:
            self._publish(notification)
        except AlertPublishError as failed:
            # Stored unpublished: the next pass publishes it again, with the same id.
            self.outbox_due = True
            log.error(
                "alert notification not published; retrying",
                notification_id=notification.notification_id,
                tenant_id=notification.tenant_id,
                **failed.as_dict(),
            )
            return
        self._store.save_event(event, published=True)
        ALERT_TRANSITIONS.labels(event.kind).inc()
        log.info(
            "alert notification published",
            kind=event.kind,
            notification_id=notification.notification_id,
            tenant_id=notification.tenant_id,
            rule_id=notification.rule_id,
            value=event.value,
        )

    def _comparison(
        self, memo: PassMemo, rule: AlertRule, tenant: TenantSettings, start_ms: int, now_ms: int
    ) -> Comparison:
        window_ms = now_ms - start_ms

        def past(start: int, end: int) -> Reading:
            return read(memo, rule.tenant_id, rule.metric, rule.filter, start, end, tenant=tenant)

        if rule.condition.op == "change_pct":
            return Comparison(previous=past(start_ms - window_ms, start_ms))
        if rule.condition.op == "anomaly":
            windows = history_windows(now_ms, window_ms, rule.condition.weeks or 1)
            readings = [past(s, e) for s, e in windows]
            values = [r.value for r in readings if r.events > 0 and r.value is not None]
            return Comparison(baseline=baseline(values))
        return Comparison()
