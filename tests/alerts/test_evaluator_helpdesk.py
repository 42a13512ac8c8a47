"""Seed 000's helpdesk alert types through the evaluator: sla_breach_rate, csat_drop and
backlog_growth, each on a scenario built for it (chdb, a fake clock, notifications collected)."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.alerts.episode_store import EpisodeStore, Versions
from pulse.alerts.evaluator import Evaluator
from pulse.alerts.notifications import Notification
from pulse.alerts.rules import AlertRule, Condition, RuleFilter
from pulse.faults import FaultPoints
from pulse.settings import FaultSettings
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings
from tests.families.events import created, db, event, ms, reply, store

__all__ = ["db"]

pytestmark = pytest.mark.clickhouse

MINUTE = 60_000
# The tenant's own targets: urgent conversations must be answered within 15 minutes.
TENANT = TenantSettings(
    sla_ms={
        "urgent": 15 * MINUTE,
        "high": 60 * MINUTE,
        "normal": 240 * MINUTE,
        "low": 1440 * MINUTE,
    }
)


def at(clock: str) -> str:
    return f"2026-03-02T{clock}Z"


class Run:
    """An evaluator at a settable instant, collecting what it publishes."""

    def __init__(self, db: ClickHouse) -> None:
        self.now = 0
        self.sent: list[Notification] = []
        self.evaluator = Evaluator(
            db,
            EpisodeStore(db, Versions()),
            self.sent.append,
            FaultPoints(FaultSettings()),
            lambda: self.now,
            lambda tenant: TENANT,
        )

    def at(self, clock: str, rule: AlertRule) -> str:
        self.now = ms(at(clock))
        self.evaluator.evaluate([rule], "sweep")
        return self.evaluator.state(rule.rule_id).state

    def kinds(self) -> list[tuple[str, Any]]:
        return [(n.kind.rsplit(".", 1)[1], n.payload["value"]) for n in self.sent]


def rule(rule_type: str, metric: str, window: str, condition: Condition, **kw: Any) -> AlertRule:
    return AlertRule(
        rule_id=f"rul_{rule_type}",
        tenant_id="acme",
        name=rule_type,
        type=rule_type,  # type: ignore[arg-type]
        metric=metric,
        window=window,
        condition=condition,
        destinations=("dst_1",),
        **kw,
    )


def test_sla_breach_rate_fires_on_breaches_and_resolves_when_they_stop(db: ClickHouse) -> None:
    """Two whatsapp breaches in 15 minutes fire "sla_breached above 1"; one in the next resolves."""
    urgent = {"priority": "urgent", "channel": "whatsapp"}
    store(
        db,
        [
            created("a", at("09:46"), **urgent),  # deadline 10:01, never answered: breached
            created("b", at("09:50"), **urgent),
            reply("b", at("10:03"), agent_id="ann", channel="whatsapp"),  # met
            created("c", at("09:55"), **urgent),
            reply("c", at("10:12"), agent_id="ann", channel="whatsapp"),  # late: breached 10:10
            created("d", at("10:05"), **urgent),  # deadline 10:20: breached in the next window
            created("e", at("09:50"), priority="urgent", channel="email"),  # another channel
            created("f", at("09:47"), tenant="globex", **urgent),  # another tenant
        ],
    )
    watched = rule(
        "sla_breach_rate",
        "sla_breached",
        "15m",
        Condition("above", value=1),
        filter=RuleFilter(channel="whatsapp"),
    )
    run = Run(db)
    assert run.at("10:00", watched) == "normal"  # [09:45, 10:00): no deadline passed yet
    assert run.at("10:15", watched) == "firing"  # [10:00, 10:15): a and c
    assert run.at("10:30", watched) == "normal"  # [10:15, 10:30): d only
    assert run.kinds() == [("triggered", 2.0), ("resolved", 1.0)]


def test_csat_drop_fires_when_the_hours_mean_falls(db: ClickHouse) -> None:
    """csat_avg below 3.5 over an hour on whatsapp: fine at 11:00, fired at 11:11."""
    scores = [("10:02", 5), ("10:20", 4), ("10:45", 3), ("11:00", 1), ("11:07", 4), ("11:10", 2)]
    rows = [
        event("csat.submitted", f"k{i}", at(clock), score=score, channel="whatsapp")
        for i, (clock, score) in enumerate(scores)
    ]
    store(db, [*rows, event("csat.submitted", "z", at("10:30"), score=1, channel="email")])
    watched = rule(
        "csat_drop",
        "csat_avg",
        "1h",
        Condition("below", value=3.5),
        filter=RuleFilter(channel="whatsapp"),
    )
    run = Run(db)
    assert run.at("11:00", watched) == "normal"  # 5, 4, 3: 4.0
    assert run.at("11:11", watched) == "firing"  # 4, 3, 1, 4, 2 from 10:11: 2.8
    assert run.kinds() == [("triggered", 2.8)]


def test_backlog_growth_fires_on_a_rising_backlog(db: ClickHouse) -> None:
    """The backlog at a window's end against the previous one's: 2 open, then 4, is +100 %."""
    store(
        db,
        [
            created("a", at("09:40")),
            created("b", at("09:50")),
            created("c", at("10:05")),
            created("d", at("10:10")),
            created("e", at("09:30")),
            event("conversation.resolved", "e", at("09:55")),
        ],
    )
    watched = rule("backlog_growth", "backlog", "15m", Condition("change_pct", value=50))
    run = Run(db)
    # 10:00: 2 open against 2 at 09:45 (a, e): 0 %
    assert run.at("10:00", watched) == "normal"
    # 10:15: 4 open against 2 at 10:00
    assert run.at("10:15", watched) == "firing"
    assert run.kinds() == [("triggered", 100.0)]
