"""Top and worst lists (METRICS.md §4): rows without a figure are left out, ties go to the
smaller id.

Rows are ranked by the figure as published (a rate rounded to 2 decimals), so two rows showing
the same rate are ordered by id, whichever had the larger unrounded ratio.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

Row = TypeVar("Row")


def top(
    rows: Iterable[Row],
    figure: Callable[[Row], float | None],
    ident: Callable[[Row], str],
    limit: int,
) -> list[Row]:
    """The ``limit`` rows with the largest figure; ties by id ascending."""
    return _ranked(rows, figure, ident, limit, largest=True)


def worst(
    rows: Iterable[Row],
    figure: Callable[[Row], float | None],
    ident: Callable[[Row], str],
    limit: int,
) -> list[Row]:
    """The ``limit`` rows with the smallest figure; ties still by id ascending."""
    return _ranked(rows, figure, ident, limit, largest=False)


def _ranked(
    rows: Iterable[Row],
    figure: Callable[[Row], float | None],
    ident: Callable[[Row], str],
    limit: int,
    largest: bool,
) -> list[Row]:
    sign = -1 if largest else 1
    scored = [(value, row) for row in rows if (value := figure(row)) is not None]
    scored.sort(key=lambda pair: (sign * pair[0], ident(pair[1])))
    return [row for _, row in scored[: max(limit, 0)]]
