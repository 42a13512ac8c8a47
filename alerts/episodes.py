"""One rule's episodes as a pure state machine: a reading in, maybe a firing or a resolution out.

A rule is ``normal``, ``pending`` (the condition holds, its pending period not yet over, or its
cooldown not yet passed) or ``firing``. :func:`step` takes the rule, its state, the current
window's reading, what the condition compares it with (:class:`Comparison`) and the instant, and
answers the next state and, on a firing or a resolution, the :class:`Transition` to notify. No
I/O, no clock: the evaluator feeds it (alerts/README.md, "Evaluation").
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from pulse.alerts.notifications import Kind
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import AlertRule

StateName = Literal["normal", "pending", "firing"]
TRIGGERED: Kind = "analytics.alert.triggered"
RESOLVED: Kind = "analytics.alert.resolved"
WEEK_MS = 7 * 86400 * 1000


@dataclass(frozen=True)
class RuleState:
    state: StateName = "normal"
    # When the current state began (ms); pending: since when the condition has held.
    since_ms: int = 0
    # The firing instant of the current (or last) episode: it names the episode's notifications.
    episode_start_ms: int = 0
    # None: never fired, so no cooldown applies.
    last_fired_ms: int | None = None
    # The compared figure at the last change of state.
    last_value: float | None = None


@dataclass(frozen=True)
class Baseline:
    """Mean and standard deviation of the same hour-of-week windows of past weeks."""

    mean: float
    std: float


@dataclass(frozen=True)
class Comparison:
    """What the condition compares the current reading with: the previous window's reading
    (``change_pct``) or the past weeks' baseline (``anomaly``); neither for above/below."""

    previous: Reading | None = None
    baseline: Baseline | None = None


@dataclass(frozen=True)
class Transition:
    kind: Kind
    # The compared figure that fired or cleared the rule (None when no data did it).
    value: float | None
    # The condition's bound: its value, or for anomaly the edge of mean ± k·std on the value's side.
    threshold: float | None
    episode_start_ms: int


@dataclass(frozen=True)
class _Seen:
    """The current reading as the condition judges it."""

    value: float | None
    breached: bool
    cleared: bool
    threshold: float | None


def baseline(values: Sequence[float]) -> Baseline | None:
    """The baseline of the past weeks' values; undefined (None) with fewer than two."""
    if len(values) < 2:
        return None
    # The sample deviation: a handful of weeks estimates the spread, it is not the population.
    return Baseline(statistics.fmean(values), statistics.stdev(values))


def history_windows(now_ms: int, window_ms: int, weeks: int) -> list[tuple[int, int]]:
    """``[now - i·7d - w, now - i·7d)`` for i = 1..weeks: the same hour-of-week, weeks back."""
    return [(now_ms - i * WEEK_MS - window_ms, now_ms - i * WEEK_MS) for i in range(1, weeks + 1)]


def change_pct(current: float | None, previous: Reading | None) -> float | None:
    """The change in % against the previous window; undefined without a non-zero previous."""
    if current is None or previous is None or not previous.value:
        return None
    return (current - previous.value) / previous.value * 100


def _judge(rule: AlertRule, current: Reading, comparison: Comparison) -> _Seen | None:
    """None when the figure is undefined (a rate without denominator, no previous window, no
    baseline): such a reading changes nothing."""
    cond, recovery, v = rule.condition, rule.recovery, current.value
    if v is None:
        return None
    if cond.op in ("above", "below"):
        bound = float(cond.value or 0)
        if cond.op == "above":
            cleared = v <= recovery if recovery is not None else not v > bound
            return _Seen(v, v > bound, cleared, bound)
        cleared = v >= recovery if recovery is not None else not v < bound
        return _Seen(v, v < bound, cleared, bound)
    if cond.op == "change_pct":
        pct = change_pct(v, comparison.previous)
        if pct is None:
            return None
        bound = float(cond.value or 0)
        if bound > 0:
            breached = pct >= bound
            cleared = pct <= recovery if recovery is not None else not breached
        else:
            breached = pct <= bound
            cleared = pct >= recovery if recovery is not None else not breached
        return _Seen(round(pct, 2), breached, cleared, bound)
    base = comparison.baseline
    if base is None:
        return None
    k = float(cond.k or 0)
    deviation = abs(v - base.mean)
    breached = deviation > k * base.std
    cleared = deviation <= recovery * base.std if recovery is not None else not breached
    edge = base.mean + k * base.std if v >= base.mean else base.mean - k * base.std
    return _Seen(v, breached, cleared, edge)


def _cooled(rule: AlertRule, state: RuleState, now_ms: int) -> bool:
    last = state.last_fired_ms
    return last is None or now_ms - last >= rule.cooldown_seconds * 1000


def step(
    rule: AlertRule, state: RuleState, current: Reading, comparison: Comparison, now_ms: int
) -> tuple[RuleState, Transition | None]:
    """The state after seeing ``current`` at ``now_ms``, and the transition to notify if any."""
    if rule.status == "paused":
        return state, None
    if current.events == 0:
        if rule.no_data == "keep":
            return state, None
        if rule.no_data == "resolve":
            return _clear(rule, state, None, now_ms)
        return _breach(rule, state, _Seen(None, True, False, rule.condition.value), now_ms)
    seen = _judge(rule, current, comparison)
    if seen is None:
        return state, None
    if state.state == "firing":
        return _clear(rule, state, seen, now_ms) if seen.cleared else (state, None)
    if seen.breached:
        return _breach(rule, state, seen, now_ms)
    return _clear(rule, state, seen, now_ms)


def _breach(
    rule: AlertRule, state: RuleState, seen: _Seen, now_ms: int
) -> tuple[RuleState, Transition | None]:
    if state.state == "firing":
        return state, None
    if state.state == "normal":
        state = replace(state, state="pending", since_ms=now_ms, last_value=seen.value)
    held = now_ms - state.since_ms >= rule.pending_seconds * 1000
    if not (held and _cooled(rule, state, now_ms)):
        return state, None
    fired = RuleState("firing", now_ms, now_ms, now_ms, seen.value)
    return fired, Transition(TRIGGERED, seen.value, seen.threshold, now_ms)


def _clear(
    rule: AlertRule, state: RuleState, seen: _Seen | None, now_ms: int
) -> tuple[RuleState, Transition | None]:
    value = None if seen is None else seen.value
    if state.state == "normal":
        return state, None
    normal = replace(state, state="normal", since_ms=now_ms, last_value=value)
    if state.state == "pending":
        return normal, None
    threshold = rule.condition.value if seen is None else seen.threshold
    return normal, Transition(RESOLVED, value, threshold, state.episode_start_ms)
