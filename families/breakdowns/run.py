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
    # Under a time dimension a running aggregate's row value is its running sum; `other`, whose
    # groups end at different instants, keeps the sum of theirs over their own buckets.
    running = (
        [a.name for a in spec.aggregates if a.running] if spec.time_dimension(request.by) else []
    )
    rows: list[tuple[int, Group]] = []
    other: Group | None = None
    total = Group(keys=(), groups=0)
    for row in found:
        values = {name: row[name] for name in names}
        place = int(row["place"])
        if row["whole"]:
            total = Group(keys=(), groups=int(row["groups"]), values=values)
        elif place == request.limit + 1:
            other = Group(keys=(), groups=int(row["groups"]), values=values)
        elif place <= request.limit:
            values.update({name: row[f"r_{name}"] for name in running})
            keys = tuple(zip(request.by, (str(row["key_1"]), str(row["key_2"])), strict=False))
            rows.append((place, Group(keys=keys, groups=1, values=values)))
    ordered = tuple(g for _, g in sorted(rows, key=lambda placed: placed[0]))
    return BreakdownAnswer(rows=ordered, other=other, total=total)
