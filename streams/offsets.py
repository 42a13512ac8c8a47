"""What the worker commits per input partition: the offset after the last batch it processed.

Faust commits the first run of *acknowledged* offsets, and its stream acknowledges the messages
it skips (those of an older consumer generation, or read while flow control is off) as well as
the ones it delivered, so a skipped message can be committed without ever being processed (the
crash test lost events that way). :class:`ProcessedOffsets` replaces that rule: the agent
reports each batch once its state, rows and dead letters are durable, and a commit takes, per
partition, the end of the last batch reported in the current generation, nothing else.
"""

from __future__ import annotations

from typing import Any

from pulse.streams.transport import SourceBatch


class ProcessedOffsets:
    def __init__(self) -> None:
        self._next: dict[tuple[str, int], tuple[int, int]] = {}
        self._installed = False

    def done(self, batch: SourceBatch) -> None:
        """Records that ``batch`` is processed and durable (called inside the commit gate)."""
        self._next[batch.topic, batch.partition] = (batch.generation_id, batch.next_offset)

    def next_offset(self, topic: str, partition: int, generation_id: int) -> int | None:
        """The offset to commit for a partition, if a batch of ``generation_id`` was processed."""
        entry = self._next.get((topic, partition))
        if entry is None or entry[0] != generation_id:
            return None
        return entry[1]

    def install(self, app: Any) -> None:
        """Makes the started app's consumer commit :meth:`next_offset` (once; idempotent)."""
        if self._installed:
            return
        consumer = app.consumer

        def new_offset(tp: Any) -> int | None:
            # Faust's acknowledgements are not evidence of processing; drop them.
            consumer._acked[tp].clear()
            consumer._acked_index[tp].clear()
            return self.next_offset(tp.topic, tp.partition, app.consumer_generation_id)

        # Faust offers no hook for this; the consumer's method is the seam (as for CommitGate).
        consumer._new_offset = new_offset
        self._installed = True
