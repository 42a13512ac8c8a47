"""The evaluator's comparisons read from chdb: the previous window (change_pct) and the same
hour-of-week of past weeks (anomaly)."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.alerts.episode_store import EpisodeStore, Versions
from pulse.alerts.evaluator import Evaluator
from pulse.alerts.notifications import Notification
from pulse.alerts.rules import AlertRule, Condition
from pulse.faults import FaultPoints
from pulse.settings import FaultSettings
from pulse.sinks.clickhouse import ClickHouse
from tests.families.events import db, event, insert_raw

__all__ = ["db"]

pytestmark = pytest.mark.clickhouse

HOUR = 3_600_000
WEEK = 7 * 24 * HOUR
NOW = 1_800_000_000_000


def sent(n: int, window_end: int) -> list[dict[str, Any]]:
    """``n`` messages spread over the hour before ``window_end``."""
    return [event("message.sent", "", window_end - HOUR + i * (HOUR // n)) for i in range(n)]


def rule(condition: Condition, rule_id: str = "rul_comparison00001") -> AlertRule:
    return AlertRule(
        rule_id=rule_id,
        tenant_id="acme",
        name="traffic",
        type="anomaly" if condition.op == "anomaly" else "threshold",
        metric="sent",
        window="1h",
        condition=condition,
        destinations=("dst_1",),
    )


def evaluate_at(db: ClickHouse, r: AlertRule, *instants: int) -> list[Notification]:
    sent_out: list[Notification] = []
    clock = iter(instants)
    evaluator = Evaluator(
        db,
        EpisodeStore(db, Versions()),
        sent_out.append,
        FaultPoints(FaultSettings()),
        lambda: next(clock),
    )
    for _ in instants:
        evaluator.evaluate([r], "sweep")
    return sent_out


def test_anomaly_fires_against_the_same_hour_of_past_weeks(db: ClickHouse) -> None:
    """Past weeks' hour had 100, 110 and 90 messages: 104 now is normal, 200 an hour later fires
    (that hour's past weeks had the same traffic), with the band's upper edge as threshold."""
    for week in (1, 2, 3):
        for hours_later in (0, 1):
            end = NOW + hours_later * HOUR - week * WEEK
            insert_raw(db, sent({1: 100, 2: 110, 3: 90}[week], end))
    insert_raw(db, sent(104, NOW) + sent(200, NOW + HOUR))
    r = rule(Condition("anomaly", k=3, weeks=3))
    (fired,) = evaluate_at(db, r, NOW, NOW + HOUR)
    assert fired.kind == "analytics.alert.triggered" and fired.episode_start == NOW + HOUR
    assert fired.payload["value"] == 200.0 and fired.payload["threshold"] == 130.0


def test_anomaly_needs_two_past_weeks_with_data(db: ClickHouse) -> None:
    """With one past week only, the baseline is undefined and nothing fires, however high."""
    insert_raw(db, sent(100, NOW - WEEK) + sent(900, NOW))
    assert evaluate_at(db, rule(Condition("anomaly", k=1, weeks=4)), NOW) == []


def test_change_pct_against_the_previous_window(db: ClickHouse) -> None:
    """40 then 60 messages an hour: +50 % fires a rule of +50 % with the change as value."""
    insert_raw(db, sent(40, NOW - HOUR) + sent(60, NOW))
    (fired,) = evaluate_at(db, rule(Condition("change_pct", value=50)), NOW)
    assert fired.payload["value"] == 50.0 and fired.payload["threshold"] == 50.0
    assert evaluate_at(db, rule(Condition("change_pct", value=51), rule_id="rul_other"), NOW) == []
