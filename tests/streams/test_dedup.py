"""Dedup decisions within a batch, the ``seen`` segments, their index and the horizon expiry."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from pulse.streams.dedup import (
    SEGMENT_KEYS,
    BatchDedup,
    SeenIndex,
    decode_segment,
    digest,
    segments,
)
from pulse.streams.source import SourceRecord

FIRST = SourceRecord("events.conversations", 2, 140, 0)


def test_first_occurrence_counts_once_within_and_across_batches() -> None:
    """An event is new once; a copy in the same batch or a later batch is a duplicate."""
    index = SeenIndex()
    index.add(*next(segments([digest("t1", "e0")], FIRST, now_ms=1)))
    dedup = BatchDedup(index)
    assert dedup.first_time("t1", "e1") is True
    assert dedup.first_time("t1", "e1") is False
    assert dedup.first_time("t1", "e0") is False
    assert dedup.first_time("t2", "e1") is True  # the same id in another tenant is another event
    assert dedup.new == [digest("t1", "e1"), digest("t2", "e1")]


def test_the_digest_is_blake2b_of_the_length_prefixed_tenant_and_the_id() -> None:
    """16 bytes per event; a separator in an id cannot make two events one."""
    expected = hashlib.blake2b(b"\x00\x00\x00\x03a|bc", digest_size=16).digest()
    assert digest("a|b", "c") == expected
    assert digest("a|b", "c") != digest("a", "b|c")
    assert len(digest("t", "e")) == 16


def test_a_batch_is_one_segment_of_bytes_named_after_its_first_new_event() -> None:
    """One changelog record per batch: 12 bytes of header, then 16 bytes per event."""
    digests = [digest("t1", f"e{i}") for i in range(3)]
    ((name, value),) = segments(digests, FIRST, now_ms=9)
    assert name == "events.conversations:2:140:0"
    assert len(value) == 12 + 3 * 16
    assert decode_segment(value) == (9, 2, digests)


@given(st.integers(min_value=1, max_value=2 * SEGMENT_KEYS + 5))
def test_segments_split_keep_every_digest_once(n: int) -> None:
    """However many events a batch has, its segments hold each once, none over the size limit."""
    digests = [digest("t", str(i)) for i in range(n)]
    out = [(name, decode_segment(value)) for name, value in segments(digests, FIRST, now_ms=1)]
    assert [d for _, segment in out for d in segment.digests] == digests
    assert all(len(segment.digests) <= SEGMENT_KEYS for _, segment in out)
    assert len({name for name, _ in out}) == len(out)


def test_a_segment_written_as_json_by_the_previous_worker_still_reads() -> None:
    """Upgrading keeps the dedup memory: ``[seen, partition, [[tenant, id], …]]`` decodes."""
    legacy = json.dumps([5, 1, [["t", "a"], ["u", "b"]]]).encode()
    assert decode_segment(legacy) == (5, 1, [digest("t", "a"), digest("u", "b")])


def test_index_rebuilds_from_the_table_once_per_generation() -> None:
    """After a rebalance (new generation) the index is what the recovered table says."""
    table = dict(segments([digest("t", "a"), digest("t", "b")], FIRST, now_ms=1))
    index = SeenIndex()
    index.sync(table, generation=3)
    assert digest("t", "a") in index and digest("t", "c") not in index
    index.add(*next(segments([digest("t", "d")], SourceRecord("s", 2, 900, 0), now_ms=2)))
    index.sync(table, generation=3)  # same generation: the live additions stay
    assert digest("t", "d") in index
    index.sync(table, generation=4)  # recovered: the table is the truth
    assert digest("t", "d") not in index and len(index) == 2


def test_expiry_forgets_the_oldest_segments_of_one_partition_a_few_at_a_time() -> None:
    """Only segments seen before the cutoff, of the named partition, at most ``limit``."""
    index = SeenIndex()
    for n, seen_ms in enumerate((100, 200, 300, 950)):
        index.add(*next(segments([digest("t", str(n))], SourceRecord("s", 0, n, 0), seen_ms)))
    index.add(*next(segments([digest("u", "x")], SourceRecord("s", 1, 0, 0), now_ms=100)))
    assert index.expire(0, cutoff_ms=500, limit=2) == ["s:0:0:0", "s:0:1:0"]
    assert digest("t", "0") not in index and digest("t", "2") in index
    assert index.expire(0, cutoff_ms=500, limit=2) == ["s:0:2:0"]
    assert index.expire(0, cutoff_ms=500, limit=2) == []
    assert digest("t", "3") in index and digest("u", "x") in index
    assert index.expire(1, cutoff_ms=500, limit=None) == ["s:1:0:0"]
    assert len(index) == 1


def test_an_expired_event_counts_again_when_a_copy_arrives() -> None:
    """Past the horizon a copy is new: forgetting is what bounds the memory."""
    index = SeenIndex()
    index.add(*next(segments([digest("t", "a")], FIRST, now_ms=1)))
    index.expire(FIRST.partition, cutoff_ms=2, limit=None)
    assert BatchDedup(index).first_time("t", "a") is True
