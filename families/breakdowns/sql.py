"""The statement of a breakdown: a family's rows grouped, ranked, cut after N and folded.

Three steps over the family's rows (``source``, already narrowed to the tenant, the range and
the filters):

1. group by the one or two dimension values, each aggregate kept as its state;
2. rank the groups by the chosen figure (computed from the finalized states; nulls last, ties by
   the dimension values ascending), every group after the ``limit``-th taking place ``limit+1``;
3. merge the states per place and over everything (``GROUPING SETS``): places ``1..limit`` are
   the rows, ``limit+1`` the rest and the empty set the total, each the exact figure of its
   groups' rows (a distinct count or a percentile over the rest is computed, not summed).

Grouped by a time dimension (the spec's ``timeline``), the groups whose time key is '' (the
opening: rows before the range) take place ``limit+2``, outside the rows and `other` but inside
the total, and each running aggregate's value is summed over the buckets in time order (per
value of the other dimension) before the sort, a row reading it as ``r_<name>``.

Dimension and figure texts come from the family's spec, chosen by name; the limit is a
parameter.
"""

from __future__ import annotations

from pulse.families.breakdowns.spec import BreakdownRequest, BreakdownSpec

LIMIT_PARAM = "breakdown_limit"

_STATEMENT = """
SELECT grouping(place) = 1 AS whole, place, any(key_1) AS key_1, any(key_2) AS key_2,
    count() AS groups,
    {merges}
FROM (
    SELECT key_1, key_2, {states},
        least(row_number() OVER (ORDER BY sort_value {direction} NULLS LAST, key_1, key_2),
              {limit} + 1) AS place
    FROM (
        SELECT *, {sort} AS sort_value
        FROM (SELECT *, {finals} FROM (
            SELECT {key_1} AS key_1, {key_2} AS key_2,
                {aggregates}
            FROM ({source})
            GROUP BY key_1, key_2
        ))
    )
)
GROUP BY GROUPING SETS ((place), ())
"""


_TIMED_STATEMENT = """
SELECT grouping(place) = 1 AS whole, place, any(key_1) AS key_1, any(key_2) AS key_2,
    countIf(NOT opening) AS groups,
    {merges}{running_rows}
FROM (
    SELECT key_1, key_2, opening, {states}{running_columns},
        if(opening, {limit} + 2,
           least(row_number() OVER (PARTITION BY opening
                                    ORDER BY sort_value {direction} NULLS LAST, key_1, key_2),
                 {limit} + 1)) AS place
    FROM (
        SELECT *, {sort} AS sort_value
        FROM (SELECT *{running} FROM (SELECT *, {time_key} = '' AS opening, {finals} FROM (
            SELECT {key_1} AS key_1, {key_2} AS key_2, min({landed}) AS landed_first,
                {aggregates}
            FROM ({source})
            GROUP BY key_1, key_2
        )))
    )
)
GROUP BY GROUPING SETS ((place), ())
"""


def breakdown_sql(spec: BreakdownSpec, source: str, request: BreakdownRequest) -> str:
    """The statement breaking ``source``'s rows down as ``request`` asks."""
    keys = [f"toString({spec.dimensions[d]})" for d in request.by] + ["''"]
    time = spec.time_dimension(request.by)
    sql = _STATEMENT if time is None else _TIMED_STATEMENT
    running = [a.name for a in spec.aggregates if a.running]
    time_key = "key_1" if request.by[0] == time else "key_2"
    other_key = "key_2" if time_key == "key_1" else "key_1"
    windows = [
        f"sum({name}) OVER (PARTITION BY {other_key} ORDER BY landed_first"
        f" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS {name}"
        for name in running
    ]
    parts = {
        "running_rows": "".join(f",\n    any(r_{n}) AS r_{n}" for n in running),
        "running_columns": "".join(f", {n} AS r_{n}" for n in running),
        "running": f" REPLACE ({', '.join(windows)})" if windows else "",
        "time_key": time_key,
        "landed": spec.timeline.get(time or "", ""),
        "merges": ",\n    ".join(a.merge() for a in spec.aggregates),
        "states": ", ".join(f"s_{a.name}" for a in spec.aggregates),
        "direction": "DESC" if request.descending else "ASC",
        "limit": f"{{{LIMIT_PARAM}:UInt32}}",
        "sort": spec.figures[request.sort_by],
        "finals": ", ".join(a.final() for a in spec.aggregates),
        "key_1": keys[0],
        "key_2": keys[1],
        "aggregates": ",\n                ".join(a.state() for a in spec.aggregates),
    }
    for name, text in parts.items():
        sql = sql.replace("{" + name + "}", text)
    # The source last: its own parameters' braces must not be taken for the parts above.
    return sql.replace("{source}", source) + spec.settings
