"""Running a breakdown and reading its rows back as groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulse.families.breakdowns.spec import BreakdownAnswer, BreakdownRequest, BreakdownSpec, Group
from pulse.families.breakdowns.sql import LIMIT_PARAM, breakdown_sql
from pulse.graphql.queries import Reader


def breakdown(
    db: Reader,
    spec: BreakdownSpec,
    source: str,
    params: Mapping[str, Any],
    request: BreakdownRequest,
) -> BreakdownAnswer:
    """``source``'s rows (bound by ``params``) broken down as ``request`` asks."""
    sql = breakdown_sql(spec, source, request)
    found = db.query(sql, {**params, LIMIT_PARAM: request.limit})
    names = [a.name for a in spec.aggregates]
    rows: list[tuple[int, Group]] = []
    other: Group | None = None
    total = Group(keys=(), groups=0)
    for row in found:
        values = {name: row[name] for name in names}
        place = int(row["place"])
        if row["whole"]:
            total = Group(keys=(), groups=int(row["groups"]), values=values)
        elif place > request.limit:
            other = Group(keys=(), groups=int(row["groups"]), values=values)
        else:
            keys = tuple(zip(request.by, (str(row["key_1"]), str(row["key_2"])), strict=False))
            rows.append((place, Group(keys=keys, groups=1, values=values)))
    ordered = tuple(g for _, g in sorted(rows, key=lambda placed: placed[0]))
    return BreakdownAnswer(rows=ordered, other=other, total=total)
