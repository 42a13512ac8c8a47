"""The percentile levels of the helpdesk query select the nearest rank, computed here by sorting."""

from __future__ import annotations

import math

import pytest

from pulse.families.helpdesk.figures_sql import P50, P90
from pulse.sinks.clickhouse import ClickHouse

pytestmark = pytest.mark.clickhouse

# Every size up to 1,200 (every remainder of 0.9 · n) and large ones around round numbers.
SIZES = [*range(1, 1201), 99_999, 100_000, 100_001, 999_999, 1_000_000, 1_000_001, 2_345_678]


def nearest_rank(values: list[int], p: int) -> int:
    return sorted(values)[math.ceil(p * len(values) / 100) - 1]


def values_of(n: int) -> list[int]:
    # Few distinct values (ties) in an order that is not sorted.
    return [(i * 7919 + n) % 1009 for i in range(n)]


def test_p50_and_p90_levels_select_the_nearest_rank(db: ClickHouse) -> None:
    """quantilesExactLow at the query's levels equals ceil(p/100 · n)-th smallest for every size."""
    rows = db.query(
        f"SELECT n, quantilesExactLow({P50}, {P90})(v) AS ps, ps[1] AS p50, ps[2] AS p90"
        " FROM (SELECT n, (i * 7919 + n) % 1009 AS v"
        "       FROM (SELECT arrayJoin({sizes:Array(UInt32)}) AS n) ARRAY JOIN range(n) AS i)"
        " GROUP BY n ORDER BY n",
        {"sizes": SIZES},
    )
    found = {int(r["n"]): (int(r["p50"]), int(r["p90"])) for r in rows}
    expected = {n: (nearest_rank(values_of(n), 50), nearest_rank(values_of(n), 90)) for n in SIZES}
    assert found == expected
