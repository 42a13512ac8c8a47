"""Top lists of workflows, sequences and flows: by a chosen figure, largest first.

Entries whose figure is null (a rate without denominator) are left out, and equal figures are
ordered by id ascending (METRICS.md §4). Rates compare as shown: rounded to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def top(
    entries: Iterable[T],
    figure: Callable[[T], float | int | None],
    entry_id: Callable[[T], str],
    limit: int,
) -> list[T]:
    """The ``limit`` entries with the largest non-null ``figure``, ties by ``entry_id``."""
    ranked = [(value, entry_id(e), e) for e in entries if (value := figure(e)) is not None]
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return [e for _, _, e in ranked[:limit]]
