"""Commit offsets come from processed batches only, never from Faust's acknowledgements."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.types import TP

from pulse.streams.offsets import ProcessedOffsets
from pulse.streams.transport import SourceBatch


def batch(partition: int, offsets: range, generation: int) -> SourceBatch:
    records = [SimpleNamespace(offset=o) for o in offsets]
    return SourceBatch("events.web", partition, records, generation)


def fake_app(generation: int) -> Any:
    consumer = SimpleNamespace(_acked=defaultdict(list), _acked_index=defaultdict(set))
    return SimpleNamespace(consumer=consumer, consumer_generation_id=generation)


def test_commit_is_the_end_of_the_last_processed_batch() -> None:
    """Acknowledged-but-skipped offsets do not move the commit; processed batches do."""
    app = fake_app(generation=2)
    offsets = ProcessedOffsets()
    offsets.install(app)
    tp = TP("events.web", 1)
    app.consumer._acked[tp] = [500, 501, 502]  # what Faust's stream acked while skipping
    assert app.consumer._new_offset(tp) is None
    assert app.consumer._acked[tp] == []
    offsets.done(batch(1, range(100, 140), generation=2))
    assert app.consumer._new_offset(tp) == 140


def test_a_batch_of_an_older_generation_is_not_committed() -> None:
    """After a rebalance the partition is sought back; what was processed before is refetched."""
    app = fake_app(generation=5)
    offsets = ProcessedOffsets()
    offsets.install(app)
    offsets.done(batch(0, range(10, 20), generation=4))
    assert app.consumer._new_offset(TP("events.web", 0)) is None


def test_partitions_are_independent() -> None:
    """Each topic-partition commits its own last batch."""
    offsets = ProcessedOffsets()
    offsets.done(batch(0, range(0, 10), generation=1))
    offsets.done(batch(3, range(7, 9), generation=1))
    assert offsets.next_offset("events.web", 0, 1) == 10
    assert offsets.next_offset("events.web", 3, 1) == 9
    assert offsets.next_offset("events.web", 1, 1) is None
