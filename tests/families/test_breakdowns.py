"""The shared breakdown statement over a synthetic source: ranking, ties, nulls, the cut and
the fold, on ClickHouse's own numbers (no family's table)."""

from __future__ import annotations

import pytest

from pulse.families.breakdowns.run import breakdown
from pulse.families.breakdowns.spec import Aggregate, BreakdownRequest, BreakdownSpec
from pulse.families.published_sql import rate_sql
from pulse.sinks.clickhouse import ClickHouse

pytestmark = pytest.mark.clickhouse

# number n of 0..59 is a row with letter "abcde"[n % 5], parity n % 2, value n, and a visitor
# n % 7; letter "e" has no "hit" (its ratio is null).
SOURCE = """
SELECT ['a', 'b', 'c', 'd', 'e'][number % 5 + 1] AS letter, number % 2 AS parity,
    number AS value, number % 7 AS visitor, number % 5 != 4 AS hit
FROM numbers({n:UInt32})
"""
SPEC = BreakdownSpec(
    dimensions={"letter": "letter", "parity": "parity"},
    aggregates=(
        Aggregate("rows", "count", ""),
        Aggregate("hits", "countIf", "hit"),
        Aggregate("total", "sum", "value"),
        Aggregate("visitors", "uniqExact", "visitor"),
        Aggregate("ranks", "quantilesExactLow", "value", "0.5"),
    ),
    figures={"rows": "rows", "ratio": "if(hits = 0, NULL, total / hits)"},
)


def _expected_rows(n: int) -> dict[tuple[str, str], list[int]]:
    groups: dict[tuple[str, str], list[int]] = {}
    for value in range(n):
        groups.setdefault(("abcde"[value % 5], str(value % 2)), []).append(value)
    return groups


def test_rows_rest_and_total_are_each_computed_over_their_own_rows(db: ClickHouse) -> None:
    """Ties by key ascending; other's distinct count and median are of its own values."""
    groups = _expected_rows(60)
    request = BreakdownRequest(("letter", "parity"), "rows", limit=3)
    answer = breakdown(db, SPEC, SOURCE, {"n": 60}, request)
    # Every group holds 6 rows: the order is the keys'.
    order = sorted(groups)
    assert [g.keys for g in answer.rows] == [
        (("letter", k[0]), ("parity", k[1])) for k in order[:3]
    ]
    assert answer.other is not None
    rest = sorted(v for k in order[3:] for v in groups[k])
    assert answer.other.groups == 7
    assert answer.other.values["total"] == sum(rest)
    assert answer.other.values["visitors"] == len({v % 7 for v in rest})
    assert answer.other.values["ranks"] == [rest[(len(rest) + 1) // 2 - 1]]
    assert answer.total.groups == 10
    assert answer.total.values["visitors"] == 7
    assert answer.total.values["rows"] == 60


def test_nulls_sort_last_both_ways(db: ClickHouse) -> None:
    """A group whose figure is null comes last, largest first or smallest first."""
    for descending in (True, False):
        request = BreakdownRequest(("letter",), "ratio", descending=descending, limit=5)
        answer = breakdown(db, SPEC, SOURCE, {"n": 60}, request)
        assert answer.rows[-1].keys == (("letter", "e"),)
        assert answer.other is None


def test_smallest_first_sorts_ascending(db: ClickHouse) -> None:
    """By ratio ascending: letters by their mean value (sum over hits), a first."""
    request = BreakdownRequest(("letter",), "ratio", descending=False, limit=4)
    answer = breakdown(db, SPEC, SOURCE, {"n": 60}, request)
    assert [g.keys[0][1] for g in answer.rows] == ["a", "b", "c", "d"]
    assert answer.other is not None and answer.other.groups == 1


def test_nothing_to_group_gives_an_empty_total(db: ClickHouse) -> None:
    """No source rows: no rows, no other, a total of zero groups."""
    answer = breakdown(db, SPEC, SOURCE, {"n": 0}, BreakdownRequest(("letter",), "rows"))
    assert answer.rows == () and answer.other is None
    assert answer.total.groups == 0 and answer.total.values["rows"] == 0


def test_rates_rank_as_shown_so_equal_rounded_rates_tie(db: ClickHouse) -> None:
    """2/3 (66.6667 %) and 6667/10000 (66.67 %) both show 66.67: a, the smaller key, first."""
    source = """
    SELECT if(number < 3, 'a', 'b') AS letter, number AS value, 0 AS visitor,
        if(number < 3, number < 2, number - 3 < 6667) AS hit, 0 AS parity
    FROM numbers(10003)
    """
    spec = BreakdownSpec(
        dimensions=SPEC.dimensions,
        aggregates=SPEC.aggregates,
        figures={"rate": rate_sql("hits", "rows")},
    )
    answer = breakdown(db, spec, source, {}, BreakdownRequest(("letter",), "rate"))
    assert [g.keys[0][1] for g in answer.rows] == ["a", "b"]


# Rows 0..9 come before the range (the opening, slot ''); the slot of the others is named
# backwards ('8' for 10..19, '4' for 50..59), so only the instant ``at`` orders the slots.
TIMED_SOURCE = """
SELECT number AS at, number % 2 AS parity,
    if(number < 10, '', toString(9 - intDiv(number, 10))) AS slot
FROM numbers(60)
"""
TIMED_SPEC = BreakdownSpec(
    dimensions={"slot": "slot", "parity": "parity"},
    aggregates=(
        Aggregate("rows", "countIf", "slot != ''"),
        Aggregate("level", "count", "", running=True),
    ),
    figures={"rows": "rows", "level": "level"},
    timeline={"slot": "at"},
)


def test_a_running_figure_sums_earlier_slots_in_time_order_and_the_opening(
    db: ClickHouse,
) -> None:
    """By slot: a row's level counts every row up to its slot's end; the opening is no row."""
    request = BreakdownRequest(("slot",), "rows", limit=3)
    answer = breakdown(db, TIMED_SPEC, TIMED_SOURCE, {}, request)
    # Every slot holds 10 rows: ties by key ascending, '4' (50..59) first.
    assert [(g.keys, g.values["level"]) for g in answer.rows] == [
        ((("slot", "4"),), 60),
        ((("slot", "5"),), 50),
        ((("slot", "6"),), 40),
    ]
    assert answer.other is not None
    assert (answer.other.groups, answer.other.values["level"]) == (2, 20)
    assert (answer.total.groups, answer.total.values["level"]) == (5, 60)
    assert answer.total.values["rows"] == 50


def test_a_running_figure_runs_per_value_of_the_other_dimension(db: ClickHouse) -> None:
    """By slot and parity, sorted by level: each parity's level at its slot's end."""
    request = BreakdownRequest(("parity", "slot"), "level", limit=1000)
    answer = breakdown(db, TIMED_SPEC, TIMED_SOURCE, {}, request)
    levels = {tuple(v for _, v in g.keys): g.values["level"] for g in answer.rows}
    assert levels == {
        (parity, str(9 - tens)): 5 * (tens + 1) for parity in ("0", "1") for tens in range(1, 6)
    }
    assert [g.values["level"] for g in answer.rows][:2] == [30, 30]
    assert answer.total.groups == 10
