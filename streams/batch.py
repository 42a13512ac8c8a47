"""One batch from one source partition: decode → validate → dedup → raw rows → queue hand-off.

The agent wires Faust to this; everything here is synchronous and free of Faust, so the order
of the stages lives in one place. The worker derives no figures: every accepted event becomes
its ``events_raw`` row and ClickHouse computes from those (ARCHITECTURE.md). Its only state is
the ``seen`` table, written once per batch (every write is a changelog record). The caller
flushes the hand-off before the batch is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import orjson

from pulse.avro.contract import check_complete
from pulse.avro.errors import AvroError
from pulse.avro.instants import InstantBounds
from pulse.settings import StreamSettings
from pulse.streams.deadletter import TOO_LARGE, DeadLetter, send_dead_letters
from pulse.streams.dedup import EXPIRE_PER_BATCH, BatchDedup, SeenIndex, segments
from pulse.streams.handoff import MAX_ROW_BYTES, RowsHandoff
from pulse.streams.raw_rows import to_raw_row
from pulse.streams.source import SourceRecord
from pulse.streams.state import PartitionState

# A raw row is the event plus its source coordinates (well under this); JSON writes a byte of a
# string as at most six (a \u00XX escape), so only a message past a sixth of the limit can make
# a row too big to hand off, and only those are measured.
_ROW_OVERHEAD_BYTES = 4096
_MEASURE_FROM_BYTES = (MAX_ROW_BYTES - _ROW_OVERHEAD_BYTES) // 6


class Decoder(Protocol):
    def decode(self, data: bytes | None) -> dict[str, Any]: ...


class Incoming(NamedTuple):
    """One consumed message (a named tuple: one is built per event)."""

    key: bytes | None
    value: bytes | None
    source: SourceRecord


@dataclass(frozen=True, slots=True)
class BatchSummary:
    accepted: int
    duplicates: int
    dead_letters: int
    rows: int


class BatchHandler:
    def __init__(
        self,
        decoder: Decoder,
        stream: StreamSettings,
        bounds: InstantBounds,
        handoff: RowsHandoff,
        seen: SeenIndex,
    ) -> None:
        self.seen = seen
        self._decoder = decoder
        self._horizon_ms = stream.dedup_horizon_seconds * 1000
        self._bounds = bounds
        self._handoff = handoff

    def _admit(self, message: Incoming, now_ms: int) -> dict[str, Any] | DeadLetter:
        tenant = ""
        try:
            event = self._decoder.decode(message.value)
            tenant = str(event.get("tenant_id") or "")
            event = check_complete(event)
            # The broker's timestamp, not the clock, so a replayed batch decides alike; the
            # clock for a message without one (-1) or stamped in the future by its producer.
            at, sent = event["occurred_at"], message.source.timestamp_ms
            if not 0 < sent <= now_ms:
                sent = now_ms
            if at < self._bounds.floor_ms or at > self._bounds.latest_ms(sent):
                self._bounds.check("occurred_at", at, sent)
        except AvroError as exc:
            field = str(exc.fields.get("field", ""))
            reason = str(exc.fields.get("reason", exc.message))
            return self._letter(message, exc.code, field, f"{reason}: {exc.message}", tenant)
        if len(message.value or b"") > _MEASURE_FROM_BYTES:
            size = len(orjson.dumps(event)) + _ROW_OVERHEAD_BYTES
            if size > MAX_ROW_BYTES:
                reason = f"its row would be ~{size} bytes, over the hand-off's {MAX_ROW_BYTES}"
                return self._letter(message, TOO_LARGE, "", reason, event["tenant_id"])
        return event

    @staticmethod
    def _letter(message: Incoming, code: str, field: str, reason: str, tenant: str) -> DeadLetter:
        return DeadLetter(
            message.source, message.key, message.value or b"", code, field, reason, tenant
        )

    def handle(self, batch: Sequence[Incoming], seen: PartitionState, now_ms: int) -> BatchSummary:
        """Processes ``batch`` (one partition, offset order), writes ``seen``, queues rows."""
        if batch:
            # First, so that a copy arriving past the horizon is accepted again.
            partition = batch[0].source.partition
            for key in self.seen.expire(partition, now_ms - self._horizon_ms, EXPIRE_PER_BATCH):
                seen.delete(key)
        dedup = BatchDedup(self.seen)
        rows: list[dict[str, Any]] = []
        letters: list[DeadLetter] = []
        duplicates = 0
        first: SourceRecord | None = None
        for message in batch:
            outcome = self._admit(message, now_ms)
            if isinstance(outcome, DeadLetter):
                letters.append(outcome)
            elif dedup.first_time(outcome["tenant_id"], outcome["event_id"]):
                first = first or message.source
                rows.append(to_raw_row(outcome, message.source))
            else:
                duplicates += 1

        if first is not None:
            for key, segment in segments(dedup.new, first, now_ms):
                seen.put(key, segment)
                self.seen.add(key, segment)

        if rows:
            self._handoff.send_rows("events_raw", rows)
        send_dead_letters(self._handoff, letters)
        return BatchSummary(len(rows), duplicates, len(letters), len(rows))
