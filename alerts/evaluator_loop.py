"""The evaluator's loop: hold the lease, wake on touched tenants, sweep every rule on a timer.

Shared by the thread inside ``pulse serve`` and by ``pulse alerts evaluate``. Each turn renews
(or takes) the Redis lease: only its holder evaluates, and a new term reloads the states and
flushes the outbox first. Between sweeps it blocks on the sink's touched-tenants lists, so a
stored event reaches its tenant's rules within milliseconds (a rule reading raw events as soon
as they are inserted, another once their derivations are stored); the sweep (``sweep_seconds``)
catches what no event announces: windows sliding, pending periods ending, no data.

A failed pass (ClickHouse, Kafka, Redis unreachable) is logged and retried on the next turn:
the alerts must come back on their own when the service does, and a crash loses nothing (the
outbox, ``evaluator.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis
import structlog

from pulse.alerts.evaluator import Evaluator, Trigger
from pulse.alerts.readings import reads_raw_only
from pulse.alerts.rules import AlertRule
from pulse.alerts.wakeup import Lease, TouchedTenants
from pulse.errors import PulseError
from pulse.metrics import ALERT_EVALUATION_SECONDS

log = structlog.get_logger(__name__)

# The longest a turn blocks: how late a stop or a lease renewal can be.
MAX_WAIT_SECONDS = 1.0
RETRY_SECONDS = 1.0


class Rules(Protocol):
    def all(self) -> list[AlertRule]: ...


class EvaluatorLoop:
    def __init__(
        self,
        evaluator: Evaluator,
        rules: Rules,
        touched: TouchedTenants,
        lease: Lease,
        sweep_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._evaluator = evaluator
        self._rules = rules
        self._touched = touched
        self._lease = lease
        self._sweep_seconds = sweep_seconds
        self._monotonic = monotonic
        self._next_sweep = 0.0
        self._fresh_term = False

    def run(self, stop: threading.Event) -> None:
        """Turns until ``stop`` is set, then gives the lease up."""
        try:
            while not stop.is_set():
                try:
                    self.turn(stop)
                except (PulseError, redis.RedisError) as exc:
                    fields = exc.as_dict() if isinstance(exc, PulseError) else {"error": str(exc)}
                    log.error("alert evaluation failed; retrying", **fields)
                    # The failed pass may have left states unsaved or a notification unsent:
                    # acting again starts from the tables, as a new term does.
                    self._fresh_term = True
                    stop.wait(RETRY_SECONDS)
        finally:
            try:
                self._lease.release()
            except redis.RedisError as exc:
                log.warning("alert evaluator lease not released", error=str(exc))

    def turn(self, stop: threading.Event) -> None:
        """One turn: hold the lease, then a sweep if due, else the touched tenants' rules."""
        term = self._lease.hold()
        if term == "elsewhere":
            stop.wait(MAX_WAIT_SECONDS)
            return
        if term == "acquired" or self._fresh_term:
            log.info("alert evaluator term starts", owner=self._lease.owner, lease=term)
            self._evaluator.start_term()
            self._fresh_term = False
            self._next_sweep = 0.0
        elif self._evaluator.outbox_due:
            self._evaluator.flush_outbox()
        remaining = self._next_sweep - self._monotonic()
        if remaining <= 0:
            rules = self._rules.all()
            self._evaluator.forget_except({r.rule_id for r in rules})
            self._pass(rules, "sweep")
            self._next_sweep = self._monotonic() + self._sweep_seconds
            return
        touched = self._touched.wait(min(remaining, MAX_WAIT_SECONDS))
        if touched:
            rules = [r for r in self._rules.all() if touched.wakes(r.tenant_id, reads_raw_only(r))]
            self._pass(rules, "events")

    def _pass(self, rules: list[AlertRule], trigger: Trigger) -> None:
        with ALERT_EVALUATION_SECONDS.labels(trigger).time():
            self._evaluator.evaluate(rules, trigger)
