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
    # A level, not a count (a backlog): grouped by a time dimension, a row's value is the sum
    # over its bucket, every earlier one and the opening (same other key); `other`'s and the
    # total's are the sums over their groups' own buckets (the total's with the opening).
    running: bool = False

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
    figure with nothing to compute it from is null and sorts last).

    ``timeline`` names the dimensions that are time buckets, each with the SQL of the instant a
    row lands at (its minimum per group orders the buckets). Such a dimension's key is '' for
    the *opening*: rows before the range, which only feed running aggregates and the total and
    are never a row nor part of `other`."""

    dimensions: Mapping[str, str]
    aggregates: tuple[Aggregate, ...]
    figures: Mapping[str, str]
    timeline: Mapping[str, str] = field(default_factory=dict)
    # A SETTINGS clause the statement ends with ('' for none).
    settings: str = ""

    def time_dimension(self, by: tuple[str, ...]) -> str | None:
        """The one dimension of ``by`` that is a time bucket, if any."""
        return next((d for d in by if d in self.timeline), None)


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
