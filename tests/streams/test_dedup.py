"""Dedup decisions within a batch, the ``seen`` segments, their index and the horizon purge."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pulse.streams.dedup import SEGMENT_KEYS, BatchDedup, SeenIndex, expired, segments
from pulse.streams.source import SourceRecord

FIRST = SourceRecord("events.conversations", 2, 140, 0)


def test_first_occurrence_counts_once_within_and_across_batches() -> None:
    """A key is new once; a copy in the same batch or a later batch is a duplicate."""
    index = SeenIndex()
    index.add([("t1", "e0")])
    dedup = BatchDedup(index)
    assert dedup.first_time("t1", "e1") is True
    assert dedup.first_time("t1", "e1") is False
    assert dedup.first_time("t1", "e0") is False
    assert dedup.first_time("t2", "e1") is True  # the same id in another tenant is another event
    assert dedup.new == [("t1", "e1"), ("t2", "e1")]


def test_a_batch_is_one_segment_named_after_its_first_new_event() -> None:
    """One changelog record per batch: keyed by the first new event, valued with all keys."""
    keys = [("t1", f"e{i}") for i in range(3)]
    assert list(segments(keys, FIRST, now_ms=9)) == [
        ("events.conversations:2:140:0", [9, 2, keys]),
    ]


@given(st.integers(min_value=1, max_value=3 * SEGMENT_KEYS + 5))
def test_segments_split_keep_every_key_once(n: int) -> None:
    """However many keys a batch has, its segments hold each once, none over the size limit."""
    keys = [("t", str(i)) for i in range(n)]
    out = list(segments(keys, FIRST, now_ms=1))
    assert [k for _, value in out for k in value[2]] == keys
    assert all(len(value[2]) <= SEGMENT_KEYS for _, value in out)
    assert len({name for name, _ in out}) == len(out)


def test_index_rebuilds_from_the_table_once_per_generation() -> None:
    """After a rebalance (new generation) the index is what the recovered table says."""
    # As recovered from the changelog: JSON arrays, not tuples.
    table = {"s:0:1:0": [1, 0, [["t", "a"], ["t", "b"]]], "s:1:5:0": [1, 1, [["u", "c"]]]}
    index = SeenIndex()
    index.sync(table, generation=3)
    assert ("t", "a") in index and ("u", "c") in index and ("t", "c") not in index
    index.add([("t", "d")])
    index.sync(table, generation=3)  # same generation: the live additions stay
    assert ("t", "d") in index
    index.sync(table, generation=4)  # recovered: the table is the truth
    assert ("t", "d") not in index and len(index) == 3
    index.discard([["t", "a"]])
    assert ("t", "a") not in index


def test_expired_only_old_segments_of_owned_partitions() -> None:
    """Purging picks segments past the horizon, and only in partitions this worker owns."""
    entries = [("old-mine", [100, 0, []]), ("old-theirs", [100, 1, []]), ("fresh", [950, 0, []])]
    assert expired(entries, now_ms=1000, horizon_ms=500, partitions={0}) == [("old-mine", 0)]
