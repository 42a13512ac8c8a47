"""Alert rules as data: one tenant's condition on one metric of the catalogue, validated whole.

A rule is a record of the compacted ``alerts.rules`` topic (key = rule id, value =
:meth:`AlertRule.to_json`). Every field is checked when the rule is built, from a request or from
the topic alike, and an invalid one raises :class:`RuleError` naming the field: a rule that
exists is one the evaluator can run.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from pulse.alerts.errors import RuleError
from pulse.alerts.metrics_catalog import CATALOG, FILTERS

RuleType = Literal[
    "sla_breach_rate",
    "backlog_growth",
    "csat_drop",
    "automation_failure",
    "channel_health",
    "threshold",
    "anomaly",
]
Op = Literal["above", "below", "change_pct", "anomaly"]
NoData = Literal["keep", "fire", "resolve"]
Status = Literal["active", "paused"]
TYPES: tuple[str, ...] = get_args(RuleType)
OPS: tuple[str, ...] = get_args(Op)
NO_DATA: tuple[str, ...] = get_args(NoData)
STATUSES: tuple[str, ...] = get_args(Status)
GENERIC_TYPES = frozenset({"threshold", "anomaly"})
PRIORITIES = ("low", "normal", "high", "urgent")

_WINDOW = re.compile(r"^([1-9][0-9]{0,5})([mhd])$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
MIN_WINDOW_SECONDS = 60
MAX_WINDOW_SECONDS = 7 * 86400
MAX_PENDING_SECONDS = 86400
MAX_COOLDOWN_SECONDS = 7 * 86400
MAX_K = 10.0
MAX_WEEKS = 12
MAX_NAME = 200
MAX_DESTINATIONS = 20


def window_seconds(window: str) -> int:
    """``5m``, ``15m``, ``1h``, ``1d``… in seconds, between 1 minute and 7 days."""
    match = _WINDOW.match(window)
    if match is None:
        raise RuleError("window", f"{window!r} is not a count and a unit m, h or d, like 15m")
    seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
    if not MIN_WINDOW_SECONDS <= seconds <= MAX_WINDOW_SECONDS:
        raise RuleError("window", f"{window!r} is outside 1m to 7d")
    return seconds


@dataclass(frozen=True)
class RuleFilter:
    org_unit: str | None = None
    channel: str | None = None
    priority: str | None = None

    def given(self) -> dict[str, str]:
        return {
            name: value
            for name, value in (
                ("org_unit", self.org_unit),
                ("channel", self.channel),
                ("priority", self.priority),
            )
            if value is not None
        }


@dataclass(frozen=True)
class Condition:
    """``above``/``below`` ``value``; ``change_pct``: the change in % against the previous
    window reaches ``value`` (a rise if positive, a fall if negative); ``anomaly``: the value
    leaves mean ± ``k`` standard deviations of the same hour-of-week over ``weeks`` past weeks."""

    op: Op
    value: float | None = None
    k: float | None = None
    weeks: int | None = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise RuleError("condition.op", f"{self.op!r} is not one of {', '.join(OPS)}")
        if self.op == "anomaly":
            if self.value is not None:
                raise RuleError("condition.value", "an anomaly condition takes k and weeks")
            if self.k is None or not 0 < self.k <= MAX_K:
                raise RuleError("condition.k", f"k must be above 0 and at most {MAX_K:g}")
            if self.weeks is None or not 1 <= self.weeks <= MAX_WEEKS:
                raise RuleError("condition.weeks", f"weeks must be 1 to {MAX_WEEKS}")
            return
        if self.k is not None or self.weeks is not None:
            raise RuleError("condition.k", f"k and weeks belong to anomaly, not {self.op}")
        if self.value is None or not math.isfinite(self.value):
            raise RuleError("condition.value", f"{self.op} needs a finite value")
        if self.op == "change_pct" and self.value == 0:
            raise RuleError("condition.value", "a change of 0 % fires on nothing")

    def cleared_side(self, recovery: float) -> bool:
        """Whether ``recovery`` lies where the condition no longer holds (strictly), so a
        value hovering at the threshold does not flap; for anomaly it is a smaller k."""
        if self.op == "anomaly":
            return 0 <= recovery < cast(float, self.k)
        threshold = cast(float, self.value)
        rises = self.op == "above" or (self.op == "change_pct" and threshold > 0)
        return recovery < threshold if rises else recovery > threshold


@dataclass(frozen=True)
class AlertRule:
    rule_id: str
    tenant_id: str
    name: str
    type: RuleType
    metric: str
    window: str
    condition: Condition
    destinations: tuple[str, ...]
    filter: RuleFilter = field(default_factory=RuleFilter)
    pending_seconds: int = 0
    cooldown_seconds: int = 0
    recovery: float | None = None
    no_data: NoData = "keep"
    status: Status = "active"
    created_ms: int = 0
    updated_ms: int = 0
    created_by: str = ""

    def __post_init__(self) -> None:
        for name, text in (("rule_id", self.rule_id), ("tenant_id", self.tenant_id)):
            if not text or not text.isprintable() or len(text) > MAX_NAME:
                raise RuleError(name, "must be a non-empty printable string")
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise RuleError("name", f"must be 1 to {MAX_NAME} characters, not blank")
        if self.type not in TYPES:
            raise RuleError("type", f"{self.type!r} is not one of {', '.join(TYPES)}")
        self._check_metric()
        window_seconds(self.window)
        if (self.type == "anomaly") != (self.condition.op == "anomaly"):
            raise RuleError(
                "condition.op", "an anomaly rule, and only one, has an anomaly condition"
            )
        self._check_bounds()
        if self.recovery is not None and not (
            math.isfinite(self.recovery) and self.condition.cleared_side(self.recovery)
        ):
            raise RuleError(
                "recovery",
                f"{self.recovery} is not on the cleared side of the condition"
                f" ({self.condition.op} {self.condition.value or self.condition.k})",
            )
        if self.no_data not in NO_DATA:
            raise RuleError("no_data", f"{self.no_data!r} is not one of {', '.join(NO_DATA)}")
        if self.status not in STATUSES:
            raise RuleError("status", f"{self.status!r} is not one of {', '.join(STATUSES)}")
        self._check_destinations()

    def _check_metric(self) -> None:
        spec = CATALOG.get(self.metric)
        if spec is None:
            raise RuleError("metric", f"{self.metric!r} is not a metric of the catalogue")
        if self.type not in GENERIC_TYPES and self.type not in spec.types:
            raise RuleError("type", f"a {self.type} rule cannot watch {self.metric}")
        for name, value in self.filter.given().items():
            if name not in spec.filters:
                accepted = ", ".join(sorted(spec.filters)) or "none"
                raise RuleError(
                    f"filter.{name}", f"{self.metric} ({spec.family}) accepts filters: {accepted}"
                )
            if not value or not value.isprintable():
                raise RuleError(f"filter.{name}", "must be a non-empty printable string")
        if self.filter.priority is not None and self.filter.priority not in PRIORITIES:
            raise RuleError("filter.priority", f"must be one of {', '.join(PRIORITIES)}")

    def _check_bounds(self) -> None:
        if not 0 <= self.pending_seconds <= MAX_PENDING_SECONDS:
            raise RuleError("pending_seconds", f"must be 0 to {MAX_PENDING_SECONDS}")
        if not 0 <= self.cooldown_seconds <= MAX_COOLDOWN_SECONDS:
            raise RuleError("cooldown_seconds", f"must be 0 to {MAX_COOLDOWN_SECONDS}")
        if not 0 <= self.created_ms <= self.updated_ms:
            raise RuleError("updated_ms", "times are ms since the epoch, updated after created")

    def _check_destinations(self) -> None:
        if not 1 <= len(self.destinations) <= MAX_DESTINATIONS:
            raise RuleError("destinations", f"name 1 to {MAX_DESTINATIONS} destination ids")
        if len(set(self.destinations)) != len(self.destinations):
            raise RuleError("destinations", "a destination is named twice")
        if any(not d or not d.isprintable() for d in self.destinations):
            raise RuleError("destinations", "ids are non-empty printable strings")

    @property
    def window_seconds(self) -> int:
        return window_seconds(self.window)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "tenant_id": self.tenant_id,
            "name": self.name,
            "type": self.type,
            "metric": self.metric,
            "filter": self.filter.given(),
            "window": self.window,
            "condition": {
                "op": self.condition.op,
                "value": self.condition.value,
                "k": self.condition.k,
                "weeks": self.condition.weeks,
            },
            "pending_seconds": self.pending_seconds,
            "cooldown_seconds": self.cooldown_seconds,
            "recovery": self.recovery,
            "no_data": self.no_data,
            "status": self.status,
            "destinations": list(self.destinations),
            "created_ms": self.created_ms,
            "updated_ms": self.updated_ms,
            "created_by": self.created_by,
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), allow_nan=False).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> AlertRule:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise RuleError("record", f"not JSON: {exc}") from exc
        return cls.from_dict(_object(data, "record"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertRule:
        condition = _object(data.get("condition"), "condition")
        rule_filter = _object(data.get("filter", {}), "filter")
        unknown = set(rule_filter) - set(FILTERS)
        if unknown:
            raise RuleError(f"filter.{sorted(unknown)[0]}", f"filters are {', '.join(FILTERS)}")
        return cls(
            rule_id=_text(data, "rule_id"),
            tenant_id=_text(data, "tenant_id"),
            name=_text(data, "name"),
            type=cast(RuleType, _text(data, "type")),
            metric=_text(data, "metric"),
            filter=RuleFilter(**{k: _text(rule_filter, k, f"filter.{k}") for k in rule_filter}),
            window=_text(data, "window"),
            condition=Condition(
                op=cast(Op, _text(condition, "op", "condition.op")),
                value=_number(condition.get("value"), "condition.value"),
                k=_number(condition.get("k"), "condition.k"),
                weeks=_integer(condition.get("weeks"), "condition.weeks"),
            ),
            pending_seconds=_integer(data.get("pending_seconds", 0), "pending_seconds") or 0,
            cooldown_seconds=_integer(data.get("cooldown_seconds", 0), "cooldown_seconds") or 0,
            recovery=_number(data.get("recovery"), "recovery"),
            no_data=cast(NoData, _text(data, "no_data", default="keep")),
            status=cast(Status, _text(data, "status", default="active")),
            destinations=_texts(data.get("destinations"), "destinations"),
            created_ms=_integer(data.get("created_ms", 0), "created_ms") or 0,
            updated_ms=_integer(data.get("updated_ms", 0), "updated_ms") or 0,
            created_by=_text(data, "created_by", default=""),
        )


def new_rule_id() -> str:
    return f"rul_{uuid.uuid4().hex[:16]}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(name, "must be a JSON object")
    return value


def _text(data: dict[str, Any], key: str, name: str = "", default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise RuleError(name or key, "must be a string")
    return value


def _texts(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(name, "must be a list of strings")
    return tuple(value)


def _number(value: Any, name: str) -> float | None:
    if value is None:
        return None
    # bool is an int to Python, never a number to a rule
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(name, "must be a number")
    try:
        return float(value)
    except OverflowError as exc:
        raise RuleError(name, "is too large") from exc


def _integer(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(name, "must be an integer")
    return value
