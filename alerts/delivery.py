"""Delivers one notification to one destination until a final outcome, recording every attempt.

Final outcomes: ``delivered`` (2xx, or the SMTP server took the mail), ``disabled`` (a 410:
the destination is switched off), ``dead_lettered`` (attempts exhausted, or the URL is refused
at send time) and ``skipped`` (the destination is unknown, another tenant's, or disabled).
Between attempts: ``retry`` (any other answer, a timeout, a refused connection) waits the
backoff; ``rate_limited`` (a 429) also holds back every other send to that destination until
its ``Retry-After`` has passed. The destination is looked up before each attempt, so a rotation
or a disabling in the middle of the retries applies to the next one.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import structlog

from pulse.alerts.backoff import retry_after_seconds, wait_after
from pulse.alerts.destinations import Destination
from pulse.alerts.notifications import Notification
from pulse.alerts.senders import Attempt, Senders
from pulse.metrics import ALERT_DELIVERIES
from pulse.settings import AlertSettings

log = structlog.get_logger(__name__)

Outcome = Literal[
    "delivered", "retry", "rate_limited", "disabled", "dead_lettered", "refused", "skipped"
]
FinalOutcome = Literal["delivered", "disabled", "dead_lettered", "skipped"]


class Effects(Protocol):
    """What a delivery changes outside itself (the worker publishes each to Kafka)."""

    def record(self, row: dict[str, Any]) -> None: ...

    async def disable(self, destination: Destination, reason: str) -> None: ...

    async def dead_letter(
        self, notification: Notification, destination_id: str, reason: str
    ) -> None: ...


class Deliverer:
    def __init__(
        self,
        settings: AlertSettings,
        senders: Senders,
        lookup: Callable[[str], Destination | None],
        effects: Effects,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._senders = senders
        self._lookup = lookup
        self._effects = effects
        self._rng = rng
        self._sends = asyncio.Semaphore(settings.concurrency)
        self._not_before: dict[str, float] = {}  # destination id → monotonic time (429s)

    async def deliver(self, notification: Notification, destination_id: str) -> FinalOutcome:
        bound = log.bind(
            notification_id=notification.notification_id,
            tenant_id=notification.tenant_id,
            rule_id=notification.rule_id,
            destination_id=destination_id,
        )
        attempt = 0
        while True:
            destination = self._lookup(destination_id)
            if destination is None or destination.tenant_id != notification.tenant_id:
                self._record(
                    notification,
                    destination_id,
                    "",
                    attempt,
                    "skipped",
                    Attempt(error="no such destination for this tenant"),
                )
                return "skipped"
            if not destination.enabled:
                reason = f"destination disabled: {destination.disabled_reason}"
                self._record(
                    notification,
                    destination_id,
                    destination.kind,
                    attempt,
                    "skipped",
                    Attempt(error=reason),
                )
                return "skipped"
            attempt += 1
            await self._wait_turn(destination_id)
            async with self._sends:
                result = await self._senders.send(notification, destination)
            outcome = self._judge(destination, result, attempt)
            self._record(notification, destination_id, destination.kind, attempt, outcome, result)
            bound.info(
                "alert_delivery_attempt", attempt=attempt, outcome=outcome, status=result.status
            )
            if outcome == "delivered":
                return "delivered"
            if outcome == "disabled":
                await self._effects.disable(destination, f"410 Gone at {_now_iso()}")
                return "disabled"
            if outcome in ("dead_lettered", "refused"):
                reason = result.error or f"HTTP {result.status}"
                await self._effects.dead_letter(notification, destination_id, reason)
                return "dead_lettered"
            retry_after = retry_after_seconds(result.retry_after, datetime.now(UTC))
            wait = wait_after(self._settings, attempt, retry_after, self._rng)
            if outcome == "rate_limited":
                self._not_before[destination_id] = max(
                    self._not_before.get(destination_id, 0.0), time.monotonic() + wait
                )
            await asyncio.sleep(wait)

    def _judge(self, destination: Destination, result: Attempt, attempt: int) -> Outcome:
        if result.ok:
            return "delivered"
        if result.refused:
            return "refused"
        if result.status == 410 and destination.kind != "email":
            return "disabled"
        if attempt >= self._settings.max_attempts:
            return "dead_lettered"
        return "rate_limited" if result.status == 429 else "retry"

    async def _wait_turn(self, destination_id: str) -> None:
        delay = self._not_before.get(destination_id, 0.0) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    def _record(
        self,
        notification: Notification,
        destination_id: str,
        destination_kind: str,
        attempt: int,
        outcome: Outcome,
        result: Attempt,
    ) -> None:
        ALERT_DELIVERIES.labels(destination_kind or "unknown", outcome).inc()
        self._effects.record(
            {
                "notification_id": notification.notification_id,
                "tenant_id": notification.tenant_id,
                "rule_id": notification.rule_id,
                "notification_kind": notification.kind,
                "destination_id": destination_id,
                "destination_kind": destination_kind,
                "attempt": attempt,
                "outcome": outcome,
                "status_code": result.status,
                "error": result.error,
                "duration_ms": result.duration_ms,
                "attempted_at": int(time.time() * 1000),
            }
        )


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
