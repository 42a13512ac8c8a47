"""The episode state machine: pending, cooldown, recovery, no data, change_pct, anomaly, pause."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.alerts.episodes import (
    RESOLVED,
    TRIGGERED,
    Baseline,
    Comparison,
    RuleState,
    Transition,
    baseline,
    history_windows,
    step,
)
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import AlertRule, Condition, RuleFilter
from tests.alerts.rule_samples import rule as sample

MIN = 60_000
T0 = 1_800_000_000_000


def rule(**changes: Any) -> AlertRule:
    base: dict[str, Any] = {
        "filter": RuleFilter(),
        "pending_seconds": 0,
        "cooldown_seconds": 0,
        "recovery": None,
    }
    return sample(**{**base, **changes})


def run(
    r: AlertRule, values: list[float | None], every_ms: int = MIN, events: int = 1
) -> tuple[RuleState, list[tuple[int, Transition]]]:
    """Steps ``r`` through ``values`` (None: a window without events), one per ``every_ms``."""
    state, out = RuleState(), []
    for i, v in enumerate(values):
        reading = Reading(v, 0 if v is None else events)
        state, t = step(r, state, reading, Comparison(), T0 + i * every_ms)
        if t is not None:
            out.append((i, t))
    return state, out


def test_fires_at_once_without_pending_and_resolves_below_threshold() -> None:
    """Above 5 fires on the first breach and resolves, same episode, when back at or under 5."""
    state, out = run(rule(), [3, 6, 7, 5])
    assert [(i, t.kind, t.value) for i, t in out] == [(1, TRIGGERED, 6), (3, RESOLVED, 5)]
    assert out[0][1].episode_start_ms == out[1][1].episode_start_ms == T0 + MIN
    assert state.state == "normal"


def test_pending_period_must_hold() -> None:
    """With 120 s pending the rule fires only once the breach has held 2 minutes."""
    _, out = run(rule(pending_seconds=120), [6, 6, 6, 6])
    assert [(i, t.kind) for i, t in out] == [(2, TRIGGERED)]
    assert out[0][1].episode_start_ms == T0 + 2 * MIN


def test_pending_interrupted_goes_back_to_normal() -> None:
    """A breach that stops before its pending period ends fires nothing and restarts the clock."""
    state, out = run(rule(pending_seconds=120), [6, 6, 4, 6, 6])
    assert out == []
    assert state.state == "pending" and state.since_ms == T0 + 3 * MIN


def test_cooldown_delays_the_next_firing() -> None:
    """A new breach within the cooldown waits pending until the cooldown has passed."""
    _, out = run(rule(cooldown_seconds=300), [6, 4, 6, 6, 6, 6, 6])
    assert [(i, t.kind) for i, t in out] == [(0, TRIGGERED), (1, RESOLVED), (5, TRIGGERED)]


def test_recovery_is_a_hysteresis() -> None:
    """With recovery 2 a value of 4 keeps the rule firing; 2 resolves it."""
    _, out = run(rule(recovery=2.0), [6, 4, 5, 4, 2])
    assert [(i, t.kind, t.value) for i, t in out] == [(0, TRIGGERED, 6), (4, RESOLVED, 2)]


def test_below_with_recovery() -> None:
    """Below 90 fires at 80 and, with recovery 95, resolves at 95, not at 92."""
    r = rule(condition=Condition("below", value=90), recovery=95.0)
    _, out = run(r, [99, 80, 92, 95])
    assert [(i, t.kind) for i, t in out] == [(1, TRIGGERED), (3, RESOLVED)]


def test_no_data_keep_changes_nothing() -> None:
    """keep: a firing rule stays firing through windows without events."""
    state, out = run(rule(no_data="keep"), [6, None, None])
    assert [t.kind for _, t in out] == [TRIGGERED] and state.state == "firing"


def test_no_data_fire_fires_with_no_value() -> None:
    """fire: a window without events is a breach, notified with no value."""
    _, out = run(rule(no_data="fire", pending_seconds=60), [3, None, None, 3])
    assert [(i, t.kind, t.value) for i, t in out] == [(2, TRIGGERED, None), (3, RESOLVED, 3)]


def test_no_data_resolve_resolves_firing_and_drops_pending() -> None:
    """resolve: a firing rule resolves with no value; a pending one goes back to normal."""
    _, out = run(rule(no_data="resolve"), [6, None])
    assert [(t.kind, t.value) for _, t in out] == [(TRIGGERED, 6), (RESOLVED, None)]
    state, out = run(rule(no_data="resolve", pending_seconds=600), [6, None])
    assert out == [] and state.state == "normal"


def test_undefined_value_changes_nothing() -> None:
    """A rate without denominator (value None, events > 0) neither fires nor resolves."""
    state = RuleState("firing", T0, T0, T0, 6)
    assert step(rule(), state, Reading(None, 3), Comparison(), T0 + MIN) == (state, None)


def test_paused_rule_is_not_evaluated() -> None:
    """A paused rule keeps its state whatever it reads."""
    state = RuleState("pending", T0, 0, None, 6)
    assert step(rule(status="paused"), state, Reading(9, 1), Comparison(), T0 + MIN) == (
        state,
        None,
    )


def _pct(r: AlertRule, previous: float | None, current: float) -> Transition | None:
    comparison = Comparison(previous=Reading(previous, 1))
    return step(r, RuleState(), Reading(current, 1), comparison, T0)[1]


def test_change_pct_rise_and_fall() -> None:
    """+50 % fires on a rise of exactly 50 %; -30 % on a fall of 30 %; 0 or no previous: nothing."""
    rise = rule(type="threshold", condition=Condition("change_pct", value=50))
    fall = rule(type="threshold", condition=Condition("change_pct", value=-30))
    assert _pct(rise, 10, 15) == Transition(TRIGGERED, 50.0, 50.0, T0)
    assert _pct(rise, 10, 14.9) is None
    assert _pct(fall, 10, 7) is not None and _pct(fall, 10, 7.1) is None
    assert _pct(rise, 0, 15) is None and _pct(rise, None, 15) is None


def test_change_pct_recovery() -> None:
    """A rising change_pct with recovery 10 stays firing at +20 % and resolves at +10 %."""
    r = rule(type="threshold", condition=Condition("change_pct", value=50), recovery=10.0)
    prev = Comparison(previous=Reading(100, 1))
    state, t = step(r, RuleState(), Reading(160, 1), prev, T0)
    assert t is not None and t.kind == TRIGGERED
    state, t = step(r, state, Reading(120, 1), prev, T0 + MIN)
    assert t is None and state.state == "firing"
    state, t = step(r, state, Reading(110, 1), prev, T0 + 2 * MIN)
    assert t is not None and t.kind == RESOLVED and t.value == 10.0


def test_anomaly_on_a_weekly_pattern_fires_on_the_spike_only() -> None:
    """A metric following a weekly pattern with noise fires once, on the one spike."""
    hours = 24 * 7 * 5

    def pattern(h: int) -> float:
        # office hours busier; each week a little off the others (-3, -1, +1, +3)
        return 100 + 50 * ((h % 24) in range(9, 18)) + ((h // 168) % 4 - 1.5) * 2

    series = [pattern(h) for h in range(hours)]
    spike = hours - 30
    series[spike] += 60
    r = rule(
        type="anomaly",
        metric="sent",
        window="1h",
        condition=Condition("anomaly", k=3, weeks=4),
    )
    state, fired = RuleState(), []
    for h in range(24 * 7 * 4, hours):
        history = [series[h - 168 * i] for i in range(1, 5)]
        comparison = Comparison(baseline=baseline(history))
        state, t = step(r, state, Reading(series[h], 1), comparison, T0 + h * 3_600_000)
        if t is not None:
            fired.append((h, t.kind))
    assert fired == [(spike, TRIGGERED), (spike + 1, RESOLVED)]


def test_anomaly_undefined_without_two_weeks() -> None:
    """Fewer than two past weeks with data give no baseline, so nothing fires."""
    assert baseline([5.0]) is None
    assert baseline([4.0, 6.0]) == Baseline(5.0, 2**0.5)
    r = rule(type="anomaly", metric="sent", condition=Condition("anomaly", k=1, weeks=2))
    assert step(r, RuleState(), Reading(1e9, 1), Comparison(), T0) == (RuleState(), None)


def test_history_windows_are_the_same_hour_of_week() -> None:
    """Week i's window ends exactly i weeks before now and lasts the rule's window."""
    week = 7 * 86_400_000
    assert history_windows(T0, 3_600_000, 2) == [
        (T0 - week - 3_600_000, T0 - week),
        (T0 - 2 * week - 3_600_000, T0 - 2 * week),
    ]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 10).map(float)), max_size=40),
    pending=st.sampled_from([0, 60, 180]),
    cooldown=st.sampled_from([0, 120, 600]),
    recovery=st.sampled_from([None, 2.0]),
    no_data=st.sampled_from(["keep", "fire", "resolve"]),
)
def test_episodes_alternate_and_respect_cooldown(
    values: list[float | None], pending: int, cooldown: int, recovery: float | None, no_data: str
) -> None:
    """Firings and resolutions alternate, a resolution names its firing's episode, firings are
    a cooldown apart, and a firing follows a breach held for the pending period (windows
    without events count as held unless no_data resolves)."""
    r = rule(pending_seconds=pending, cooldown_seconds=cooldown, recovery=recovery, no_data=no_data)
    _, out = run(r, values)
    last_fire: int | None = None
    for n, (i, t) in enumerate(out):
        assert t.kind == (TRIGGERED if n % 2 == 0 else RESOLVED)
        if t.kind == TRIGGERED:
            at = T0 + i * MIN
            assert t.episode_start_ms == at
            assert last_fire is None or at - last_fire >= cooldown * 1000
            last_fire = at
            held = pending // 60
            window = values[i - held : i + 1]
            assert i >= held and all(
                (v is None and no_data != "resolve") or (v is not None and v > 5) for v in window
            )
        else:
            assert t.episode_start_ms == last_fire
