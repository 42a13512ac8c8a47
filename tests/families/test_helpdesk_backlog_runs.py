"""The key ranges a backlog recount reads: every day asked for, no other, in maximal runs."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from pulse.families.helpdesk.backlog_days import _where

DAYS = st.lists(st.dates(date(2020, 1, 1), date(2030, 12, 31)), min_size=1, max_size=60)


def covered(params: dict[str, object], i: int) -> list[tuple[date, date]]:
    """Tenant ``i``'s runs as (first, last) pairs, in the order the statement names them."""
    runs = []
    n = 0
    while f"first_{i}_{n}" in params:
        first, last = params[f"first_{i}_{n}"], params[f"last_{i}_{n}"]
        assert isinstance(first, date) and isinstance(last, date)
        runs.append((first, last))
        n += 1
    return runs


@given(DAYS, DAYS)
def test_runs_cover_exactly_each_tenants_days_in_maximal_runs(a: list[date], b: list[date]) -> None:
    """Each tenant's runs hold its days and nothing else; no two runs touch or overlap."""
    moments, stored, params = _where({"acme": a, "globex": b})
    assert moments.count("tenant_id = ") == stored.count("tenant_id = ") == 2
    for i, days in enumerate((a, b)):
        runs = covered(params, i)
        assert moments.count(f"{{first_{i}_") == len(runs)
        spanned = {
            first + timedelta(d) for first, last in runs for d in range((last - first).days + 1)
        }
        assert spanned == set(days)
        assert all(later[0] - earlier[1] > timedelta(1) for earlier, later in pairwise(runs))
        assert params[f"days_{i}"] == sorted(set(days))
