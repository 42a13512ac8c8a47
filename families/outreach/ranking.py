"""Top and worst lists (METRICS.md §4) in SQL: rows without a figure are left out, ties go to
the smaller id, and only the rows asked for leave ClickHouse.

Rows are ranked by the figure as published (``families/published_sql.py``), so two rows showing
the same rate are ordered by id whichever had the larger unrounded ratio.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ranking:
    """Rows by ``figure`` (an SQL expression over the row's columns), largest first unless
    ``worst``, ties by ``ident`` ascending, at most ``limit``."""

    figure: str
    worst: bool
    limit: int

    def clauses(self, ident: str) -> str:
        """``WHERE … ORDER BY … LIMIT …`` over a subquery holding the figure's columns; the
        limit is the parameter ``{limit:UInt32}``."""
        direction = "ASC" if self.worst else "DESC"
        return (
            f" WHERE ({self.figure}) IS NOT NULL"
            f" ORDER BY ({self.figure}) {direction}, {ident} ASC LIMIT {{limit:UInt32}}"
        )
