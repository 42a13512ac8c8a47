"""The sink: consumes ``pulse.rows`` and stores the rows in ClickHouse (and the hour in Redis).

Order of one batch, which is what makes a crash anywhere harmless:

1. insert each table's rows (idempotent: ReplacingMergeTree, read with FINAL), tell the alert
   evaluator which tenants have new raw events, then recompute the derived rows the batch's raw
   events touched (:mod:`pulse.families.derivation`);
2. cache the recent figures those recomputations stored in Redis (the families' realtime hooks;
   a cache: its failure is logged, not fatal), and tell the evaluator and the live
   subscriptions that those tenants' derivations are stored;
3. write the batch's last offset per partition to ``sink_offsets`` in ClickHouse;
4. commit the next offsets to Kafka.

A crash before 3 replays the batch into rows that collapse; a crash between 3 and 4 is undone on
assignment, where the sink seeks to the offset after the one ``sink_offsets`` holds: ClickHouse is
the source of truth, as in ClickHouse's Kafka Connect sink.

Bad hand-off messages (not JSON, unknown table) and bad rows are dead letters
(:mod:`pulse.sinks.refusals`), flushed before step 3, and counted in :class:`SinkStats`; nothing
is skipped silently. ClickHouse and Kafka failures raise.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import redis
import structlog
from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
from confluent_kafka import KafkaError as ConfluentError

from pulse.alerts.wakeup import TouchedTenants
from pulse.families.derivation import Derivation
from pulse.families.realtime import RealtimeHook
from pulse.families.registry import DERIVATIONS, REALTIME
from pulse.faults import SINK_AFTER_INSERT, SINK_AFTER_OFFSETS_SAVED, FaultPoints
from pulse.lag import position_lag
from pulse.metrics import (
    MESSAGES_REJECTED,
    ROWS_REJECTED,
    ROWS_STORED,
    SINK_DERIVE_SECONDS,
    SINK_FLUSH_SECONDS,
    forget_lag,
    set_lag,
)
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.errors import BadMessageError, KafkaError, UnknownTableError
from pulse.sinks.handoff import decode
from pulse.sinks.offsets import SinkOffsets
from pulse.sinks.realtime import RealtimeCache
from pulse.sinks.refusals import message_letter, row_letters
from pulse.sinks.writer import Block, RowsWriter
from pulse.streams.deadletter import DeadLetter, send_dead_letters
from pulse.streams.handoff import RowsHandoff

log = structlog.get_logger(__name__)

MESSAGES_PER_CONSUME = 500
# Positions and cached watermarks cost no request; once a second keeps the gauge fresh when idle.
LAG_INTERVAL_SECONDS = 1.0


@dataclass
class SinkStats:
    messages: int = 0
    rows: int = 0
    batches: int = 0
    bad_messages: int = 0
    bad_rows: int = 0
    realtime_errors: int = 0


@dataclass
class _Batch:
    tables: dict[str, Block] = field(default_factory=dict)
    last: dict[tuple[str, int], int] = field(default_factory=dict)
    rows: int = 0
    started: float = 0.0


class SinkRunner:
    """Batches hand-off messages into ClickHouse inserts; one runner per consumer."""

    def __init__(
        self,
        settings: Settings,
        clickhouse: ClickHouse,
        realtime: RealtimeCache | None = None,
        clock: Callable[[], float] = time.time,
        derivations: tuple[Derivation, ...] = DERIVATIONS,
        realtime_hooks: tuple[RealtimeHook, ...] = REALTIME,
    ) -> None:
        self.topic = settings.topic("rows")
        self.group_id = settings.sink.group_id
        self.batch_rows = settings.sink.batch_rows
        self.batch_seconds = settings.sink.batch_seconds
        self.quiet_seconds = settings.sink.quiet_seconds
        self.stats = SinkStats()
        self._kafka = settings.kafka.bootstrap_servers
        self._clickhouse = clickhouse
        self._writer = RowsWriter(clickhouse)
        self._derivations = derivations
        self._offsets = SinkOffsets(clickhouse)
        self._realtime = realtime
        self._realtime_hooks = realtime_hooks
        # With Redis at hand, the alert evaluator and the API's live subscriptions hear of every
        # batch (pulse.alerts.wakeup).
        self._touched = (
            None
            if realtime is None
            else TouchedTenants.open(settings.redis.url, settings.kafka.topic_prefix)
        )
        self._clock = clock
        self._kafka_settings = settings.kafka
        # Made on the first refusal: most sinks never need a producer.
        self._letters: RowsHandoff | None = None
        self._letters_pending = False
        self._faults = FaultPoints(settings.fault)
        self._batch = _Batch()
        self._assigned_at: float | None = None
        self._resume: list[TopicPartition] = []
        self._lag_at = 0.0
        self._log = log.bind(topic=self.topic, group_id=self.group_id)

    def run(self, stop: threading.Event) -> None:
        """Consume and store until ``stop`` is set, then store what is pending."""
        consumer = self._open()
        try:
            while not stop.is_set():
                self._step(consumer)
            self._flush(consumer)
        finally:
            self._close(consumer)

    def run_until_idle(self, idle_seconds: float, max_seconds: float = 120.0) -> SinkStats:
        """Consume until no message came for ``idle_seconds`` since partitions were assigned
        (or ``max_seconds`` passed), store what is pending, and return the counts."""
        consumer = self._open()
        deadline = time.monotonic() + max_seconds
        quiet_since: float | None = None
        try:
            while time.monotonic() < deadline:
                if self._step(consumer) or self._assigned_at is None:
                    quiet_since = None
                    continue
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= idle_seconds:
                    break
            self._flush(consumer)
        finally:
            self._close(consumer)
        return self.stats

    def _close(self, consumer: Consumer) -> None:
        consumer.close()
        if self._letters is not None:
            self._letters.close()
            self._letters = None

    def _open(self) -> Consumer:
        consumer = Consumer(
            {
                "bootstrap.servers": self._kafka,
                "group.id": self.group_id,
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "auto.offset.reset": "earliest",
                # A killed sink's partitions move to its successor after this, not after 45 s.
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 2000,
            }
        )
        consumer.subscribe(
            [self.topic],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        return consumer

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        stored = self._offsets.load(self.group_id, self.topic)
        for tp in partitions:
            if tp.partition in stored:
                tp.offset = stored[tp.partition] + 1
        # A sink killed between sink_offsets and the Kafka commit left Kafka behind; with no new
        # message to flush it would stay behind, and the group's lag never reach 0.
        self._resume = [
            TopicPartition(tp.topic, tp.partition, tp.offset)
            for tp in partitions
            if tp.partition in stored
        ]
        self._log.info(
            "partitions assigned",
            partitions={tp.partition: tp.offset for tp in partitions},
        )
        consumer.assign(partitions)
        self._assigned_at = time.monotonic()

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._flush(consumer)
        forget_lag(self.group_id, ((tp.topic, tp.partition) for tp in partitions))
        self._log.info("partitions revoked", partitions=[tp.partition for tp in partitions])

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Another member owns them now: its replay re-inserts these rows, which collapse.
        self._batch = _Batch()
        self._resume = []
        forget_lag(self.group_id, ((tp.topic, tp.partition) for tp in partitions))
        self._log.warning("partitions lost", partitions=[tp.partition for tp in partitions])

    def _step(self, consumer: Consumer) -> bool:
        """Consume once, flush when the batch is full or old enough; whether messages came."""
        if self._resume:
            self._commit(consumer, self._resume)
            self._resume = []
        wait = 0.5
        if self._batch.last:
            age = time.monotonic() - self._batch.started
            wait = max(0.0, min(self.batch_seconds - age, self.quiet_seconds))
        # consume() waits for all of num_messages or the timeout, and a hand-off message holds up
        # to 500 rows, so one blocking call for 500 idled half a second per batch (measured).
        # Take what the client has already fetched; block only for the first message.
        messages = consumer.consume(num_messages=MESSAGES_PER_CONSUME, timeout=0)
        if not messages:
            messages = consumer.consume(num_messages=1, timeout=wait)
        for message in messages:
            self._add(message)
        due = self._batch.last and (
            not messages  # quiet for quiet_seconds
            or self._batch.rows >= self.batch_rows
            or time.monotonic() - self._batch.started >= self.batch_seconds
        )
        if due:
            self._flush(consumer)
        if time.monotonic() - self._lag_at >= LAG_INTERVAL_SECONDS:
            set_lag(self.group_id, position_lag(consumer))
            self._lag_at = time.monotonic()
        return bool(messages)

    def _add(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            self._kafka_error(error)
            return
        topic, partition, offset = message.topic(), message.partition(), message.offset()
        if topic is None or partition is None or offset is None:
            raise KafkaError("a consumed message has no position", topic=self.topic)
        batch = self._batch
        if not batch.last:
            batch.started = time.monotonic()
        batch.last[(topic, partition)] = offset
        self.stats.messages += 1
        try:
            block = decode(message.key(), message.value())
        except (BadMessageError, UnknownTableError) as exc:
            self.stats.bad_messages += 1
            MESSAGES_REJECTED.labels(exc.code).inc()
            self._refuse([message_letter(message, exc)])
            return
        if block.bad_rows:
            self.stats.bad_rows += len(block.bad_rows)
            for code, count in Counter(bad.code for bad in block.bad_rows).items():
                ROWS_REJECTED.labels(block.table, code).inc(count)
            self._refuse(row_letters(message, block.bad_rows))
            block.bad_rows = []
        if block.table in batch.tables:
            batch.tables[block.table].extend(block)
        else:
            batch.tables[block.table] = block
        batch.rows += block.rows

    def _refuse(self, letters: list[DeadLetter]) -> None:
        if self._letters is None:
            self._letters = RowsHandoff(self._kafka_settings, self.topic)
        send_dead_letters(self._letters, letters)
        self._letters_pending = True

    def _kafka_error(self, error: ConfluentError) -> None:
        if error.code() == ConfluentError._PARTITION_EOF:
            return
        if error.code() == ConfluentError.UNKNOWN_TOPIC_OR_PART or (
            error.retriable() and not error.fatal()
        ):
            self._log.warning("consumer warning", error=error.str())
            return
        raise KafkaError(f"the consumer failed: {error.str()}", topic=self.topic)

    def _flush(self, consumer: Consumer) -> None:
        batch, self._batch = self._batch, _Batch()
        if not batch.last:
            return
        started = time.monotonic()
        for block in batch.tables.values():
            self._writer.write_block(block)
        inserted = time.monotonic()
        raw = batch.tables.get("events_raw")
        # Rules reading raw events alone need not wait for the derivations (alerts/wakeup.py).
        self._touch(raw, TouchedTenants.mark_stored)
        derive_ms = self._derive(raw)
        derived = time.monotonic()
        self._cache(raw)
        self._touch(raw, TouchedTenants.mark)
        if self._letters is not None and self._letters_pending:
            self._letters.flush()
            self._letters_pending = False
        self._faults.hit(SINK_AFTER_INSERT)
        self._offsets.save(self.group_id, batch.last, int(self._clock() * 1000))
        self._faults.hit(SINK_AFTER_OFFSETS_SAVED)
        self._commit(
            consumer, [TopicPartition(t, p, offset + 1) for (t, p), offset in batch.last.items()]
        )
        self.stats.rows += batch.rows
        self.stats.batches += 1
        SINK_FLUSH_SECONDS.observe(time.monotonic() - started)
        for name, block in batch.tables.items():
            ROWS_STORED.labels(name).inc(block.rows)
        self._log.debug(
            "batch stored",
            rows=batch.rows,
            tables={name: block.rows for name, block in batch.tables.items()},
            gathered_ms=round((started - batch.started) * 1000, 1),
            insert_ms=round((inserted - started) * 1000, 1),
            derive_ms=round((derived - inserted) * 1000, 1),
            derive_ms_by=derive_ms,
            commit_ms=round((time.monotonic() - derived) * 1000, 1),
        )

    def _commit(self, consumer: Consumer, offsets: list[TopicPartition]) -> None:
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            raise KafkaError(f"committing offsets failed: {exc}", topic=self.topic) from exc

    def _derive(self, raw: Block | None) -> dict[str, float]:
        """Refresh what the batch touched; each derivation's milliseconds, for the debug log."""
        # Before the offsets: a crash after the insert replays the batch and recomputes again.
        spent: dict[str, float] = {}
        if raw is None or not raw.rows:
            return spent
        for derivation in self._derivations:
            keys = derivation.touched(raw.columns)
            if keys:
                began = time.monotonic()
                derivation.refresh(self._clickhouse, keys)
                took = time.monotonic() - began
                SINK_DERIVE_SECONDS.labels(derivation.name).observe(took)
                spent[derivation.name] = round(took * 1000, 1)
        return spent

    def _touch(
        self, raw: Block | None, mark: Callable[[TouchedTenants, Iterable[str]], None]
    ) -> None:
        if self._touched is None or raw is None or not raw.rows:
            return
        try:
            mark(self._touched, raw.columns["tenant_id"])
        except redis.RedisError as exc:
            # The evaluator's sweep still sees the events, seconds later.
            self._log.error("alert wake-up not sent", error=str(exc))

    def _cache(self, raw: Block | None) -> None:
        if self._realtime is None or raw is None or not raw.rows:
            return
        now_ms = int(self._clock() * 1000)
        try:
            for hook in self._realtime_hooks:
                hook.cache(self._clickhouse, self._realtime, raw.columns, now_ms)
        except redis.RedisError as exc:
            # The cache expires in seconds and readers fall back to ClickHouse; stopping the
            # sink for it would stall the source of truth to protect a copy.
            self.stats.realtime_errors += 1
            self._log.error("realtime cache write failed", error=str(exc))
