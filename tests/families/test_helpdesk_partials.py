"""Nearest ranks of several sorted parts equal those of all their values sorted together."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pulse.families.helpdesk.partials import nearest_ranks

PARTS = st.lists(st.lists(st.integers(-(2**40), 2**40), max_size=40), max_size=6)


@given(PARTS)
def test_nearest_ranks_of_parts_are_those_of_the_whole(parts: list[list[int]]) -> None:
    """p50 and p90 are the ceil(p·n/100)-th smallest of every value (0 and 0 without any)."""
    values = sorted(v for part in parts for v in part)
    n = len(values)
    expected = (values[-(-n // 2) - 1], values[-(-9 * n // 10) - 1]) if n else (0, 0)
    sorted_parts = [np.array(sorted(part), dtype=np.int64) for part in parts]
    assert nearest_ranks(sorted_parts) == expected
