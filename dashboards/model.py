"""A dashboard as data: a layout of widgets, each a saved GraphQL query, validated whole.

A dashboard is a record of the compacted ``dashboards`` topic (key = dashboard id, value =
:meth:`Dashboard.to_json`). Its fields are checked when it is built, from a request or from the
topic alike; an invalid one raises :class:`InvalidDashboardError` naming the field. Whether a
widget's query runs against the schema is the API's check (``pulse.dashboards.widget_queries``):
the model knows no schema.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

from pulse.dashboards.errors import InvalidDashboardError

Visibility = Literal["private", "org_unit", "tenant"]
Kind = Literal["timeseries", "bars", "top", "number", "table"]
Range = Literal["last_24h", "last_7d", "last_30d", "custom"]
VISIBILITIES: tuple[str, ...] = get_args(Visibility)
KINDS: tuple[str, ...] = get_args(Kind)
RANGES: tuple[str, ...] = get_args(Range)
# A relative range's length; a custom one is the widget's own `from`/`to` variables.
RANGE_MS = {"last_24h": 86_400_000, "last_7d": 7 * 86_400_000, "last_30d": 30 * 86_400_000}

MAX_NAME = 200
MAX_WIDGETS = 50
MAX_QUERY = 20_000
# The layout grid's width: a widget's x + w fits in it.
GRID_COLUMNS = 12
_VARIABLE = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_dashboard_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Position:
    """Where a widget sits on a grid of :data:`GRID_COLUMNS` columns and rows of any count."""

    x: int = 0
    y: int = 0
    w: int = 6
    h: int = 4

    def __post_init__(self) -> None:
        if not (0 <= self.x < GRID_COLUMNS and 1 <= self.w <= GRID_COLUMNS - self.x):
            raise InvalidDashboardError("position", f"x + w must fit {GRID_COLUMNS} columns")
        if self.y < 0 or not 1 <= self.h <= 100:
            raise InvalidDashboardError("position", "y must be ≥ 0 and h between 1 and 100")


@dataclass(frozen=True)
class Widget:
    """One saved query: its GraphQL text, its own variables and its time range."""

    widget_id: str
    title: str
    kind: Kind
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    range: Range = "custom"
    position: Position = field(default_factory=Position)

    def __post_init__(self) -> None:
        if not self.widget_id or len(self.widget_id) > 64:
            raise InvalidDashboardError("widgets.id", "must be 1 to 64 characters")
        if len(self.title) > MAX_NAME:
            raise InvalidDashboardError("widgets.title", f"is longer than {MAX_NAME}")
        if self.kind not in KINDS:
            raise InvalidDashboardError("widgets.kind", f"must be one of {', '.join(KINDS)}")
        if self.range not in RANGES:
            raise InvalidDashboardError("widgets.range", f"must be one of {', '.join(RANGES)}")
        if not self.query.strip() or len(self.query) > MAX_QUERY:
            raise InvalidDashboardError("widgets.query", f"must be 1 to {MAX_QUERY} characters")
        _check_variables("widgets.variables", self.variables)


def _check_variables(name: str, values: object) -> None:
    if not isinstance(values, dict):
        raise InvalidDashboardError(name, "must be an object of variable values")
    for key in values:
        if not isinstance(key, str) or not _VARIABLE.match(key):
            raise InvalidDashboardError(name, f"{key!r} is not a GraphQL variable name")


@dataclass(frozen=True)
class Dashboard:
    dashboard_id: str
    tenant_id: str
    name: str
    visibility: Visibility
    created_by: str
    created_ms: int
    updated_ms: int
    widgets: tuple[Widget, ...] = ()
    # Default variables of every widget (a channel, an org unit…): seed 000's "filtros default".
    filters: dict[str, Any] = field(default_factory=dict)
    # The unit an `org_unit` dashboard is shown to; None for the other visibilities.
    org_unit: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise InvalidDashboardError("name", f"must be 1 to {MAX_NAME} characters")
        if self.visibility not in VISIBILITIES:
            raise InvalidDashboardError("visibility", f"must be one of {', '.join(VISIBILITIES)}")
        if (self.visibility == "org_unit") != (self.org_unit is not None):
            raise InvalidDashboardError(
                "org_unit", "is required with visibility org_unit, and only with it"
            )
        if self.visibility == "private" and not self.created_by:
            raise InvalidDashboardError(
                "visibility", "a private dashboard needs a token naming its subject (sub)"
            )
        if len(self.widgets) > MAX_WIDGETS:
            raise InvalidDashboardError("widgets", f"at most {MAX_WIDGETS}")
        ids = [w.widget_id for w in self.widgets]
        if len(set(ids)) != len(ids):
            raise InvalidDashboardError("widgets.id", "two widgets share an id")
        _check_variables("filters", self.filters)

    def to_json(self) -> bytes:
        record = asdict(self)
        record["widgets"] = [asdict(w) for w in self.widgets]
        return json.dumps(record, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_json(cls, value: bytes) -> Dashboard:
        try:
            record = json.loads(value)
            widgets = tuple(
                Widget(**{**w, "position": Position(**w["position"])}) for w in record["widgets"]
            )
            return cls(**{**record, "widgets": widgets})
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidDashboardError("record", f"not a dashboard: {exc}") from exc
