"""The evaluator assembled from settings: its rules, Kafka producer, Redis lease and wake-ups,
run in a daemon thread (``pulse serve``) or in the foreground (``pulse alerts evaluate``)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis
import structlog

from pulse.alerts.episode_store import EpisodeStore, Versions
from pulse.alerts.errors import RuleDirectoryError
from pulse.alerts.evaluator import Evaluator
from pulse.alerts.evaluator_loop import RETRY_SECONDS, EvaluatorLoop
from pulse.alerts.notifications import Notification, publish_notification
from pulse.alerts.rule_directory import RuleDirectory
from pulse.alerts.rules import now_ms
from pulse.alerts.wakeup import Lease, TouchedTenants, lease_key
from pulse.faults import FaultPoints
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.compacted import acknowledged_producer
from pulse.topics.tenants import TenantSettings

log = structlog.get_logger(__name__)

RULES_CATCH_UP_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 30.0


class EvaluatorService:
    """Owns what the loop needs; :meth:`close` releases it all (the lease first)."""

    def __init__(
        self,
        settings: Settings,
        db: ClickHouse,
        tenant_settings: Callable[[str], TenantSettings],
        clock_ms: Callable[[], int] = now_ms,
    ) -> None:
        config = settings.alerts
        prefix = settings.kafka.topic_prefix
        self._rules = RuleDirectory.from_settings(settings)
        self._redis = redis.Redis.from_url(settings.redis.url)
        self._producer = acknowledged_producer(settings.kafka)
        topic = settings.topic("alerts.notifications")

        def publish(notification: Notification) -> None:
            publish_notification(self._producer, topic, notification)

        evaluator = Evaluator(
            db,
            EpisodeStore(db, Versions()),
            publish,
            FaultPoints(settings.fault),
            clock_ms,
            tenant_settings,
        )
        self.loop = EvaluatorLoop(
            evaluator,
            self._rules,
            TouchedTenants(self._redis, prefix),
            Lease(self._redis, lease_key(prefix), int(config.lease_seconds * 1000)),
            config.sweep_seconds,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self, stop: threading.Event) -> None:
        """Follows the rules and evaluates until ``stop`` is set."""
        self._rules.start()
        # Evaluating a partial rule set would forget the states of the rules not read yet.
        while not stop.is_set():
            try:
                self._rules.wait_until_caught_up(RULES_CATCH_UP_SECONDS)
                break
            except RuleDirectoryError as exc:
                log.error("alert rules not caught up; retrying", **exc.as_dict())
                stop.wait(RETRY_SECONDS)
        self.loop.run(stop)

    def start(self) -> None:
        """Runs in a daemon thread until :meth:`close`; a failure to start is logged, since
        the process serving figures must not stop for want of alerts."""

        def target() -> None:
            try:
                self.run(self._stop)
            except Exception:  # the thread's last word: the API keeps serving without alerts
                log.exception("alert evaluator stopped")

        self._thread = threading.Thread(target=target, name="alert-evaluator", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_SECONDS)
        self._producer.flush(5)
        self._rules.close()
        self._redis.close()
