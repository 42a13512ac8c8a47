"""Alert rules are validated field by field; every refusal is a RuleError naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulse.alerts.errors import AlertError, RuleError
from pulse.alerts.rules import AlertRule, Condition, RuleFilter, window_seconds
from tests.alerts.rule_samples import rule


def refused(field: str, **changes: Any) -> RuleError:
    with pytest.raises(RuleError) as caught:
        rule(**changes)
    assert caught.value.field == field, caught.value.message
    return caught.value


def test_the_seed_example_is_a_valid_rule_and_survives_json() -> None:
    """Seed 000's sla_breached > 5 over 15m builds and reads back equal from its JSON."""
    made = rule()
    assert AlertRule.from_json(made.to_json()) == made
    assert made.window_seconds == 900
    assert isinstance(refused("metric", metric="x"), AlertError)


def test_an_unknown_metric_is_refused() -> None:
    """A metric outside the catalogue names the metric field."""
    assert "catalogue" in refused("metric", metric="sla_breaches", type="threshold").reason


def test_a_filter_the_metric_does_not_accept_is_refused() -> None:
    """Priority on a messaging count, or any filter on a web figure, is refused by name."""
    error = refused(
        "filter.priority", type="threshold", metric="sent", filter=RuleFilter(priority="high")
    )
    assert "org_unit" in error.reason and "channel" in error.reason
    refused("filter.channel", type="threshold", metric="page_views", filter=RuleFilter(channel="x"))
    refused("filter.priority", filter=RuleFilter(priority="asap"))


def test_a_seed_type_watches_only_its_metrics() -> None:
    """A csat_drop rule on sla_breached makes no sense; threshold watches anything."""
    refused("type", type="csat_drop")
    assert rule(type="threshold", metric="page_views", filter=RuleFilter()).metric == "page_views"
    refused("type", type="paging")


@pytest.mark.parametrize("window", ["30s", "0m", "59m0", "8d", "169h", "1w", "", "15 m"])
def test_a_window_outside_one_minute_to_seven_days_or_unparsable_is_refused(window: str) -> None:
    """Windows are a count and m/h/d between 1m and 7d; anything else names the window."""
    refused("window", window=window)


def test_window_bounds_are_inclusive() -> None:
    """1m and 7d (168h) are the bounds themselves."""
    assert window_seconds("1m") == 60
    assert window_seconds("7d") == window_seconds("168h") == 7 * 86400


def test_a_recovery_on_the_firing_side_is_refused() -> None:
    """Above 5 recovers below 5; below 3 recovers above 3; a rise in % recovers under it."""
    refused("recovery", recovery=5.0)
    refused("recovery", recovery=7.0)
    below = Condition("below", value=3)
    assert rule(condition=below, recovery=4.0).recovery == 4.0
    refused("recovery", condition=below, recovery=2.0)
    refused("recovery", condition=Condition("change_pct", value=50), recovery=60.0)
    assert rule(condition=Condition("change_pct", value=-50), recovery=-10.0).recovery == -10.0


def test_anomaly_conditions_belong_to_anomaly_rules() -> None:
    """An anomaly rule needs k and weeks in bounds, and its recovery is a smaller k."""
    anomaly = Condition("anomaly", k=3, weeks=4)
    made = rule(type="anomaly", condition=anomaly, recovery=2.0)
    assert AlertRule.from_json(made.to_json()) == made
    refused("recovery", type="anomaly", condition=anomaly, recovery=3.0)
    refused("condition.op", type="anomaly", recovery=None)
    refused("condition.op", condition=anomaly, recovery=None)
    with pytest.raises(RuleError) as caught:
        Condition("anomaly", k=3, weeks=13)
    assert caught.value.field == "condition.weeks"
    with pytest.raises(RuleError) as caught:
        Condition("anomaly", k=0, weeks=2)
    assert caught.value.field == "condition.k"


def test_condition_values_are_checked() -> None:
    """A threshold needs a finite value; a change of 0 % and an unknown op are refused."""
    for op, value, field in [
        ("above", None, "condition.value"),
        ("above", float("nan"), "condition.value"),
        ("change_pct", 0.0, "condition.value"),
        ("between", 1.0, "condition.op"),
    ]:
        with pytest.raises(RuleError) as caught:
            Condition(op, value=value)  # type: ignore[arg-type]
        assert caught.value.field == field


def test_periods_policies_status_and_destinations_are_bounded() -> None:
    """Negative or too long pending/cooldown, unknown no_data or status, and no or repeated
    destinations each name their field."""
    refused("pending_seconds", pending_seconds=-1)
    refused("pending_seconds", pending_seconds=86401)
    refused("cooldown_seconds", cooldown_seconds=8 * 86400)
    refused("no_data", no_data="ignore")
    refused("status", status="muted")
    refused("destinations", destinations=())
    refused("destinations", destinations=("dst_1", "dst_1"))
    refused("name", name="  ")
    refused("tenant_id", tenant_id="")
    refused("updated_ms", updated_ms=1)


def test_a_record_of_the_wrong_shape_is_a_rule_error() -> None:
    """Bytes that are not JSON, a list, or a field of the wrong JSON type are RuleErrors."""
    good: dict[str, Any] = json.loads(rule().to_json())
    cases: list[tuple[bytes, str]] = [
        (b"\xff", "record"),
        (b"[]", "record"),
        (json.dumps({**good, "pending_seconds": True}).encode(), "pending_seconds"),
        (json.dumps({**good, "condition": "above 5"}).encode(), "condition"),
        (json.dumps({**good, "filter": {"agent": "a1"}}).encode(), "filter.agent"),
        (json.dumps({**good, "destinations": "dst_1"}).encode(), "destinations"),
    ]
    for raw, field in cases:
        with pytest.raises(RuleError) as caught:
            AlertRule.from_json(raw)
        assert caught.value.field == field
