"""Fixtures of the alert delivery tests: a verifying webhook receiver and fast retry settings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from pulse.alerts.notifications import Notification, publish_notification
from pulse.settings import Settings
from pulse.topics.admin import apply
from pulse.topics.cli import make_plan
from pulse.topics.compacted import acknowledged_producer
from tests.alerts.receiver import Receiver, running_receiver
from tests.e2e.harness import free_port
from tests.families.events import db


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP receiver that verifies signatures and answers from a script."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def alert_settings(settings: Settings) -> Settings:
    """The test's settings with loopback allowed and retries fast enough to watch."""
    return replace(
        settings,
        alerts=replace(
            settings.alerts,
            group_id=f"{settings.kafka.topic_prefix}-alerts",
            allow_loopback=True,
            base_backoff_seconds=0.2,
            max_backoff_seconds=2.0,
            max_attempts=4,
            request_timeout_seconds=3.0,
            metrics_port=free_port(),
        ),
    )


def apply_topics(settings: Settings) -> None:
    plan, admin = make_plan(settings)
    apply(admin, plan)


def notification(*destinations: str, rule: str = "r1", **payload: Any) -> Notification:
    """A triggered notification of tenant acme for ``destinations``, of a fresh episode."""
    start = int(time.time() * 1000)
    return Notification.of_episode(
        "acme",
        rule,
        "analytics.alert.triggered",
        start,
        start + 1000,
        {
            "rule_name": "SLA breaches",
            "metric": "sla_breached",
            "value": 7,
            "threshold": 5,
            "window": "15m",
            "filter": {"channel": "email"},
            **payload,
        },
        destinations,
    )


def publish_one(settings: Settings, n: Notification) -> None:
    """Publishes one notification to the test's ``alerts.notifications``, as the evaluator will."""
    publish_notification(
        acknowledged_producer(settings.kafka), settings.topic("alerts.notifications"), n
    )


__all__ = ["db"]
