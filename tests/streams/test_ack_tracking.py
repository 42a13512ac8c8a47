"""The commit-offset rule that replaces Faust's after a replay doubled its acknowledged list."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pulse.streams.ack_tracking import first_run, next_commit


def test_doubled_acknowledgements_commit_the_whole_run() -> None:
    """Offsets acknowledged twice still commit through their end, not one at a time."""
    acked = [1704, 1704, 1705, 1705, 1706, 1706, 1707]
    assert next_commit(acked, 1704) == (1708, [])


def test_a_hole_stops_the_commit_at_the_hole() -> None:
    """An offset neither acknowledged nor a gap is never committed past."""
    assert next_commit([10, 11, 13, 14], 10) == (12, [13, 14])


def test_without_a_committed_offset_the_first_run_commits() -> None:
    """A partition never committed before commits its first run."""
    assert next_commit([3, 4, 6], None) == (5, [6])


def test_nothing_committable_when_the_head_is_missing() -> None:
    """If the next offset after the committed one is missing, nothing is committed."""
    assert next_commit([15, 16], 10) == (None, [15, 16])


def test_offsets_already_committed_are_dropped() -> None:
    """Leftovers below the committed offset never pull the commit backwards."""
    assert next_commit([5, 6, 10, 11], 10) == (12, [])


@given(st.sets(st.integers(0, 200), min_size=1), st.integers(1, 3))
def test_commit_never_passes_an_unacknowledged_offset(offsets: set[int], copies: int) -> None:
    """Whatever the duplicates, the committed offset covers only acknowledged offsets."""
    start = min(offsets)
    acked = sorted(list(offsets) * copies)
    offset, rest = next_commit(acked, start)
    assert offset is not None
    assert set(range(start, offset)) <= offsets
    assert offset not in offsets
    assert set(rest) == {o for o in offsets if o > offset}


def test_first_run_stops_at_the_first_hole() -> None:
    """The leading run ends before the first missing number."""
    assert first_run([3, 4, 5, 7, 8]) == [3, 4, 5]
