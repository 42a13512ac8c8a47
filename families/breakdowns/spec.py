"""What a family declares to be broken down, and what a caller asks of a breakdown."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Aggregate:
    """One partial figure: a ClickHouse aggregate over the family's rows (``sumIf``,
    ``uniqExact``, ``quantilesExactLowIf``…), kept as a state per group so that the states of
    the folded groups merge into the exact figure of the rest, never a sum of rows' figures."""

    name: str
    function: str
    arguments: str
    # A parametric function's parameters, without parentheses ("0.5, 0.9").
    parameters: str = ""

    @property
    def _parameters(self) -> str:
        return f"({self.parameters})" if self.parameters else ""

    def state(self) -> str:
        return f"{self.function}State{self._parameters}({self.arguments}) AS s_{self.name}"

    def final(self) -> str:
        return f"finalizeAggregation(s_{self.name}) AS {self.name}"

    def merge(self) -> str:
        return f"{self.function}Merge{self._parameters}(s_{self.name}) AS {self.name}"


@dataclass(frozen=True)
class BreakdownSpec:
    """A family's breakdowns: the dimensions its rows are grouped by (name → SQL expression over
    the rows), its partial aggregates, and each sortable figure as SQL over the aggregates'
    names, as published (``families/published_sql.py``: rows showing the same rate tie; a
    figure with nothing to compute it from is null and sorts last)."""

    dimensions: Mapping[str, str]
    aggregates: tuple[Aggregate, ...]
    figures: Mapping[str, str]


@dataclass(frozen=True)
class BreakdownRequest:
    """Group by ``by`` (one or two distinct dimensions), sort by the figure ``sort_by``, keep
    ``limit`` rows and fold the others into one."""

    by: tuple[str, ...]
    sort_by: str
    descending: bool = True
    limit: int = 10


@dataclass(frozen=True)
class Group:
    """The aggregates of one row (``keys``: each dimension of ``by`` with its value), of the
    rest or of the whole range (no keys), and how many groups it holds."""

    keys: tuple[tuple[str, str], ...]
    groups: int
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BreakdownAnswer:
    rows: tuple[Group, ...]
    other: Group | None
    total: Group
