"""What every family's breakdown field shares in GraphQL: its arguments, checked, and its
answer's rows, `other` and total as the family's types."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Annotated, Any

import strawberry

from pulse.families.breakdowns.spec import BreakdownAnswer, BreakdownRequest, Group
from pulse.graphql.errors import InvalidArgumentError

MAX_LIMIT = 1000
MAX_DIMENSIONS = 2

Descending = Annotated[
    bool, strawberry.argument(description="Largest first (the default); false: smallest first.")
]
Limit = Annotated[
    int,
    strawberry.argument(
        description=f"At most this many rows (1 to {MAX_LIMIT}); the rest fold into `other`."
    ),
]


def by_argument() -> Any:
    """The ``by`` argument of a family's breakdown (its type is the family's enum)."""
    return strawberry.argument(
        description="One or two distinct dimensions to group by (two: every pair of values)."
    )


def sort_argument() -> Any:
    """The ``sortBy`` argument of a family's breakdown (its type is the family's enum)."""
    return strawberry.argument(
        name="sortBy",
        description=(
            "The figure rows are sorted by (nulls last, ties by the dimension values ascending)."
        ),
    )


@strawberry.type(description="One dimension of a breakdown row and its value.")
class DimensionValue:
    dimension: str = strawberry.field(description="The dimension, as named in `by` (CHANNEL).")
    value: str | None = strawberry.field(
        description="Its value; null for the rows that carry none (no org unit, no campaign…)."
    )


def request_of(by: Sequence[Enum], sort_by: Enum, descending: bool, limit: int) -> BreakdownRequest:
    """The request the arguments make; an :class:`InvalidArgumentError` unless ``by`` names one
    or two distinct dimensions and ``limit`` is within 1..``MAX_LIMIT``."""
    if not 1 <= len(by) <= MAX_DIMENSIONS:
        raise InvalidArgumentError(
            f"'by' names {len(by)} dimensions; a breakdown groups by 1 or 2.",
            suggestion="Name one dimension, or two for every pair of their values.",
            argument="by",
        )
    if len(set(by)) != len(by):
        raise InvalidArgumentError(
            f"'by' names {by[0].name} twice.",
            suggestion="Name two different dimensions, or one.",
            argument="by",
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgumentError(
            f"'limit' must be between 1 and {MAX_LIMIT}; it is {limit}.",
            suggestion="Ask for the top rows only: the rest are folded into `other`.",
            argument="limit",
        )
    return BreakdownRequest(
        by=tuple(str(d.value) for d in by),
        sort_by=str(sort_by.value),
        descending=descending,
        limit=limit,
    )


def keys_of(group: Group, enum: type[Enum]) -> list[DimensionValue]:
    """A row's keys as GraphQL values: the enum name of each dimension, '' as null."""
    return [DimensionValue(dimension=enum(d).name, value=v or None) for d, v in group.keys]


def answer_fields(
    answer: BreakdownAnswer,
    dimension: type[Enum],
    figures: Callable[[Group], Mapping[str, Any]],
    row: Callable[..., Any],
    groups: Callable[..., Any],
) -> dict[str, Any]:
    """``rows``, ``other`` and ``total`` of a family's breakdown type: ``figures`` gives a group's
    figure fields, ``row`` and ``groups`` are the family's row and groups types."""
    return {
        "rows": [row(keys=keys_of(g, dimension), **figures(g)) for g in answer.rows],
        "other": None
        if answer.other is None
        else groups(groups=answer.other.groups, **figures(answer.other)),
        "total": groups(groups=answer.total.groups, **figures(answer.total)),
    }
