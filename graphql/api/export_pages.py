"""The pages an export writes: a row source's pages, or a metric answer's rows cut into pages,
stopping at the row limit and counting what was written."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pulse.families.drilldown.rows import MAX_PAGE, RowSource


class ExportCount:
    """Rows written so far, and whether the limit left some out."""

    rows = 0
    more = False


def pages(source: RowSource, limit: int, written: ExportCount) -> Iterator[list[dict[str, Any]]]:
    """``source``'s pages up to ``limit`` rows in all, counted in ``written``."""
    after = None
    while written.rows < limit:
        page = source.page(after, min(MAX_PAGE, limit - written.rows))
        written.rows += len(page.rows)
        yield page.rows
        if not page.more:
            return
        after = page.cursor
    written.more = True


def row_groups(
    rows: Sequence[dict[str, Any]], limit: int, written: ExportCount
) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in groups of a page's size, up to ``limit`` rows in all, counted in ``written``."""
    kept = rows[:limit]
    written.more = len(rows) > limit
    for start in range(0, len(kept), MAX_PAGE):
        group = list(kept[start : start + MAX_PAGE])
        written.rows += len(group)
        yield group
