"""The evaluator's loop on real Redis and chdb: the lease holder sweeps and wakes on touched
tenants; a second evaluator stands by without acting."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis

from pulse.alerts.episode_store import EpisodeStore, Versions
from pulse.alerts.evaluator import Evaluator
from pulse.alerts.evaluator_loop import EvaluatorLoop
from pulse.alerts.notifications import Notification
from pulse.alerts.rules import AlertRule, Condition
from pulse.alerts.wakeup import Lease, TouchedTenants, lease_key, stored_key
from pulse.faults import FaultPoints
from pulse.settings import FaultSettings
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import db, event, insert_raw

__all__ = ["db"]

pytestmark = [pytest.mark.redis, pytest.mark.clickhouse]

NOW = 1_800_000_000_000


class Rules:
    def __init__(self, *rules: AlertRule) -> None:
        self.rules = list(rules)

    def all(self) -> list[AlertRule]:
        return self.rules


def rule(tenant: str) -> AlertRule:
    return AlertRule(
        rule_id=f"rul_{tenant}",
        tenant_id=tenant,
        name="automations failing",
        type="automation_failure",
        metric="automation_failed",
        window="15m",
        condition=Condition("above", value=0),
        destinations=("dst_1",),
    )


def loop(
    db: ClickHouse, client: redis.Redis, prefix: str, rules: Rules, sent: list[Notification]
) -> EvaluatorLoop:
    evaluator = Evaluator(
        db, EpisodeStore(db, Versions()), sent.append, FaultPoints(FaultSettings()), lambda: NOW
    )
    touched = TouchedTenants(client, prefix)
    return EvaluatorLoop(evaluator, rules, touched, Lease(client, lease_key(prefix), 5000), 3600)


def test_the_holder_sweeps_then_wakes_on_touched_tenants_and_a_standby_waits(
    db: ClickHouse, redis_url: str
) -> None:
    """First turn: lease taken and a sweep; a tenant's mark gets its rules evaluated at the next
    turn; a second evaluator over the same lease never acts."""
    prefix = f"test{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(redis_url)
    stop = threading.Event()
    holder_sent: list[Notification] = []
    standby_sent: list[Notification] = []
    rules = Rules(rule("acme"), rule("globex"))
    holder = loop(db, client, prefix, rules, holder_sent)
    standby = loop(db, client, prefix, rules, standby_sent)
    try:
        insert_raw(db, [event("automation.failed", "", NOW - 1000, tenant="acme")])
        holder.turn(stop)
        assert [n.tenant_id for n in holder_sent] == ["acme"]
        insert_raw(db, [event("automation.failed", "", NOW - 1000, tenant="globex")])
        TouchedTenants(client, prefix).mark_stored(["globex"])
        standby.turn(stop)
        holder.turn(stop)
        assert [n.tenant_id for n in holder_sent] == ["acme", "globex"]
        assert standby_sent == []
    finally:
        client.delete(lease_key(prefix), stored_key(prefix))
        client.close()
