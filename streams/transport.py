"""Faust's Kafka transport, delivering each fetched chunk of a source partition as one message.

Faust hands every record to its agents one by one: per record it builds a message and an event,
starts two tasks (``wait_first``), queues it on a channel and runs the stream's sensors. Measured
here, that caps an agent at a few thousand records per second, whatever the agent does. The
worker's stages are batched anyway, so :class:`BatchingConsumer` skips the per-record path for
the worker's source topics: each chunk that a fetch returns for one topic-partition becomes one
Faust message whose value is a :class:`SourceBatch`. The agent, Faust's transactions, tables,
changelogs, recovery and commits are unchanged; other topics (table changelogs during recovery)
still take Faust's own per-record path.

Records fetched before a rebalance are dropped, as Faust's own fetch loop drops them: the
rebalance ends by seeking every partition back to its committed offset, or to its beginning when
nothing was committed for it yet (aiokafka's ``seek_to_committed`` leaves such a partition where
its last fetch ended, and the dropped records were lost: the two-worker crash test lost 4.7k
events of partitions whose first owner was killed before its first commit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import ConsumerMessage

from pulse.settings import StreamSettings
from pulse.streams.batch import Incoming
from pulse.streams.source import SourceRecord

FETCH_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """Consecutive records of one topic-partition, in offset order, as fetched."""

    topic: str
    partition: int
    records: Sequence[Any]
    generation_id: int

    @property
    def next_offset(self) -> int:
        """The offset to commit once the whole batch is processed."""
        return int(self.records[-1].offset) + 1

    def messages(self) -> list[Incoming]:
        """Each record's key, value and coordinates."""
        topic, partition = self.topic, self.partition
        # tuple.__new__ skips the named tuples' Python-level constructors: two per event.
        new = tuple.__new__
        return [
            new(
                Incoming,
                (r.key, r.value, new(SourceRecord, (topic, partition, r.offset, r.timestamp))),
            )
            for r in self.records
        ]


class BatchingConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer with a fetch loop that batches the app's source topics."""

    def _batched_topics(self) -> frozenset[str]:
        return getattr(self.app, "batched_topics", frozenset())

    def _batch_size(self) -> int:
        return int(getattr(self.app, "batch_max_records", StreamSettings.batch_events))

    def _batch_message(self, tp: Any, records: Sequence[Any]) -> ConsumerMessage:
        last = records[-1]
        generation = self.app.consumer_generation_id
        return ConsumerMessage(
            last.topic,
            last.partition,
            last.offset,
            last.timestamp / 1000.0,
            last.timestamp_type,
            [],
            None,
            # Faust's 'raw' value codec passes any object through; the agent receives it as is.
            cast(bytes, SourceBatch(last.topic, last.partition, records, generation)),
            None,
            0,
            sum(r.serialized_value_size for r in records),
            tp,
            generation_id=generation,
        )

    async def seek_to_committed(self) -> Mapping[Any, int]:
        committed = await super().seek_to_committed()
        batched = self._batched_topics()
        # aiokafka seeks only to offsets > 0; offset 0 or none committed means the beginning.
        # Only source partitions: Faust's recovery positions the changelogs itself.
        unset = [tp for tp, offset in committed.items() if not offset and tp.topic in batched]
        if unset:
            await self._thread.seek_to_beginning(*unset)
        return committed

    async def _drain_messages(self, fetcher: Any) -> None:
        # Replaces Faust's loop of the same name (transport/consumer.py), which the Fetcher
        # service runs for the consumer's whole life.
        ending: tuple[type[BaseException], ...] = (
            *self.consumer_stopped_errors,
            asyncio.CancelledError,
        )
        try:
            await self._drain(fetcher)
        except ending:
            # As in Faust's loop: a stopping app cancels the fetch, and that is the end of it
            # (re-raised, it would reach Faust's rebalance-restart path and crash the worker).
            if self.transport.app.should_stop:
                return
            raise

    async def _drain(self, fetcher: Any) -> None:
        callback = self.callback
        batched = self._batched_topics()
        size = self._batch_size()
        read_offset = self._read_offset
        monitor = self.app.monitor
        while not (self._stopped.is_set() or fetcher._stopped.is_set()):
            records, active = await self._wait_next_records(FETCH_TIMEOUT_SECONDS)
            await self.sleep(0)
            if not records or self.should_stop:
                continue
            if not self.flow_active:
                # As Faust does: a rebalance began, positions go back to the committed offsets.
                await self.perform_seek()
                continue
            generation = self.app.consumer_generation_id
            for tp, chunk in records.items():
                if self.app.consumer_generation_id != generation or not self.flow_active:
                    break
                if active is not None and tp not in active and tp not in self._buffered_partitions:
                    continue
                monitor.track_tp_end_offset(tp, self.highwater(tp))
                if tp.topic in batched:
                    # Everything the fetcher returns is processed: a record seen twice is a
                    # duplicate to the worker's dedup, never a reason to skip (Faust skips
                    # records below its read offset, and a skipped record is lost).
                    for start in range(0, len(chunk), size):
                        # As between chunks: a rebalance ends the delivery of this fetch.
                        if self.app.consumer_generation_id != generation or not self.flow_active:
                            break
                        part = chunk[start : start + size]
                        message = self._batch_message(tp, part)
                        await self.wait_first(callback(message), self.suspend_flow.wait())
                        read_offset[tp] = part[-1].offset
                    continue
                previous = read_offset.get(tp)
                for record in chunk:
                    if previous is None or record.offset >= previous:
                        message = self._to_message(tp, record)
                        await self.wait_first(callback(message), self.suspend_flow.wait())
                        read_offset[tp] = record.offset


class BatchingTransport(faust_aiokafka.Transport):
    Consumer = BatchingConsumer


class BatchingApp(faust.App):
    """A Faust app whose consumer batches ``batched_topics`` (see :class:`BatchingConsumer`) in
    batches of at most ``batch_max_records``."""

    batched_topics: frozenset[str] = frozenset()
    batch_max_records: int = StreamSettings.batch_events

    def _new_transport(self) -> Any:
        return BatchingTransport(self.conf.broker_consumer, self)
