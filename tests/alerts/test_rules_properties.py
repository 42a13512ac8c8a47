"""Property tests: a valid rule survives its JSON; any JSON reads as a rule or a RuleError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.alerts.errors import RuleError
from pulse.alerts.metrics_catalog import CATALOG
from pulse.alerts.rules import AlertRule, Condition, RuleFilter

TEXT = st.text(st.characters(codec="utf-8", categories=("L", "N", "P")), min_size=1, max_size=20)
FINITE = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def rules(draw: st.DrawFn) -> AlertRule:
    spec = CATALOG[draw(st.sampled_from(sorted(CATALOG)))]
    anomaly = draw(st.booleans())
    rule_type = draw(st.sampled_from(sorted({"threshold", *spec.types})))
    recovery: float | None = None
    if anomaly:
        k = draw(st.floats(min_value=0.1, max_value=10))
        condition = Condition("anomaly", k=k, weeks=draw(st.integers(1, 12)))
        rule_type = "anomaly"
        if draw(st.booleans()):
            recovery = draw(st.floats(min_value=0, max_value=k, exclude_max=True))
    else:
        op = draw(st.sampled_from(["above", "below", "change_pct"]))
        value = draw(FINITE.filter(lambda v: v != 0))
        condition = Condition(op, value=value)
        if draw(st.booleans()):
            rises = op == "above" or (op == "change_pct" and value > 0)
            offset = draw(st.floats(min_value=1e-3, max_value=1e6))
            recovery = value - offset if rises else value + offset
    filters = {
        name: draw(st.one_of(st.none(), st.sampled_from(["low", "normal", "high", "urgent"])))
        if name == "priority"
        else draw(st.one_of(st.none(), TEXT))
        for name in sorted(spec.filters)
    }
    created = draw(st.integers(0, 2**42))
    return AlertRule(
        rule_id=draw(TEXT),
        tenant_id=draw(TEXT),
        name=draw(TEXT),
        type=rule_type,  # type: ignore[arg-type]
        metric=spec.name,
        window=draw(st.sampled_from(["1m", "5m", "15m", "1h", "6h", "1d", "7d", "168h"])),
        condition=condition,
        destinations=tuple(draw(st.lists(TEXT, min_size=1, max_size=5, unique=True))),
        filter=RuleFilter(**filters),
        pending_seconds=draw(st.integers(0, 86400)),
        cooldown_seconds=draw(st.integers(0, 7 * 86400)),
        recovery=recovery,
        no_data=draw(st.sampled_from(["keep", "fire", "resolve"])),
        status=draw(st.sampled_from(["active", "paused"])),
        created_ms=created,
        updated_ms=created + draw(st.integers(0, 10**9)),
        created_by=draw(st.text(max_size=10)),
    )


@settings(max_examples=300, deadline=None)
@given(rules())
def test_a_valid_rule_reads_back_equal_from_its_json(made: AlertRule) -> None:
    """from_json(to_json(r)) == r for every valid generated rule."""
    assert AlertRule.from_json(made.to_json()) == made


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@st.composite
def near_rules(draw: st.DrawFn) -> dict[str, Any]:
    """A valid rule's JSON with some fields replaced by arbitrary JSON."""
    base: dict[str, Any] = json.loads(draw(rules()).to_json())
    for key in draw(st.lists(st.sampled_from([*base, "extra"]), max_size=4)):
        base[key] = draw(JSON)
    return base


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, near_rules()))
def test_any_json_is_a_rule_or_a_rule_error(value: Any) -> None:
    """Random JSON, and valid rules with fields gone wrong, never raise but RuleError."""
    with contextlib.suppress(RuleError):
        AlertRule.from_json(json.dumps(value).encode())


@given(st.binary(max_size=64))
def test_any_bytes_are_a_rule_or_a_rule_error(raw: bytes) -> None:
    """Bytes that are not even JSON raise RuleError only."""
    with contextlib.suppress(RuleError):
        AlertRule.from_json(raw)
