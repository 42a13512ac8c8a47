"""The Faust app of the stream worker: topics, the ``seen`` table and the agent wiring the stages.

The worker keeps no figures: it hands off each accepted event's raw row (and dead letters), and
ClickHouse computes every figure from the raw rows. Its one table is the dedup memory
(:mod:`pulse.streams.dedup`), bounded by the dedup horizon.

Each message the agent receives is a whole fetched chunk of one source topic-partition (a
:class:`pulse.streams.transport.SourceBatch`; ``isolated_partitions=True``). Commit order:

1. decode → validate → dedup → process (pure), in :class:`pulse.streams.batch.BatchHandler`;
2. each changed ``seen`` key is written once, to the changelog partition of the batch's source
   partition; these records join the open Kafka transaction of that partition, and the agent
   waits until they are acknowledged (Faust's EOS commit does not drain its send buffer);
3. rows and dead letters go to ``pulse.rows`` / ``*.dlq`` through a separate idempotent producer
   and are *flushed and acknowledged*;
4. the batch is reported to :class:`ProcessedOffsets`, and Faust's next commit puts its end
   offset and the changelog records in one transaction. Steps 2-4 hold a :class:`CommitGate`
   that Faust's commit waits for, so a commit never splits a batch's state from its offsets.

A crash before the commit aborts the transaction: the batch is replayed from the same table
state and yields the same rows again, which the sink absorbs (every row is idempotent). An
error in steps 1-3 that is not a bad message, or a cancellation (stop, revocation) in the middle
of them, ends the process at once (``os._exit``), so nothing half-done is ever committed; a
restart replays that batch.
"""

from __future__ import annotations

import asyncio
import os
import time
import urllib.parse
from typing import Any, NoReturn

import faust
import structlog

from pulse.avro.codec import EventDecoder
from pulse.avro.instants import InstantBounds
from pulse.avro.registry import registry_client
from pulse.avro.schemas import SchemaCatalog
from pulse.errors import PulseError
from pulse.faults import WORKER_AFTER_CHANGELOG_ACK, WORKER_AFTER_HANDOFF_FLUSH, FaultPoints
from pulse.settings import Settings
from pulse.streams.batch import BatchHandler, Incoming
from pulse.streams.changelog_topic import SEEN_TABLE
from pulse.streams.commit_gate import CommitGate
from pulse.streams.dedup import SeenIndex
from pulse.streams.errors import StreamError
from pulse.streams.handoff import RowsHandoff
from pulse.streams.offsets import ProcessedOffsets
from pulse.streams.state import FaustPartitionTable, delete
from pulse.streams.transport import BatchingApp, SourceBatch
from pulse.streams.worker_metrics import install as install_metrics
from pulse.streams.worker_metrics import observe_batch

log = structlog.get_logger(__name__)

DOMAIN_TOPICS = ("events.conversations", "events.outreach", "events.web", "events.contacts")
PURGE_INTERVAL_SECONDS = 3600.0
# Start-up waits for a session timeout before the first assignment: ~5.5 s at 6 s vs ~33 s at
# the 60 s default (FIELD-NOTES.md).
SESSION_TIMEOUT_SECONDS = 6.0
EXIT_INFRASTRUCTURE = 70
DURABLE_TIMEOUT_SECONDS = 60.0
STREAM_BUFFER_BATCHES = 4


def create_app(settings: Settings, handoff: RowsHandoff | None = None) -> faust.App:
    """The worker app of ``settings``."""
    app = BatchingApp(
        settings.stream.app_id,
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        processing_guarantee="exactly_once",
        store="memory://",
        topic_replication_factor=settings.kafka.replication_factor,
        topic_partitions=settings.kafka.partitions,
        table_standby_replicas=0,
        broker_session_timeout=SESSION_TIMEOUT_SECONDS,
        broker_commit_interval=settings.stream.commit_interval_seconds,
        # Without it every restart is two rebalances (join, then the dead member's expiry).
        consumer_group_instance_id=settings.stream.instance_id or None,
        # Each queued message is a whole fetched chunk (BatchingConsumer): keep few in memory.
        stream_buffer_maxsize=STREAM_BUFFER_BATCHES,
        consumer_max_fetch_size=settings.stream.fetch_bytes,
        datadir=str(settings.stream.data_dir),
        web_bind="127.0.0.1",
        web_port=settings.stream.web_port,
        # Faust checks that an assignment names this member's URL; a static member rejoining
        # before its session expires gets its previous assignment back, so the URL must not
        # change with the web port of a restarted replica, or the consumer stalls.
        canonical_url=_member_url(settings.stream.instance_id, settings.stream.web_port),
        autodiscover=False,
    )
    names = tuple(settings.topic(name) for name in DOMAIN_TOPICS)
    app.batched_topics = frozenset(names)
    app.batch_max_records = settings.stream.batch_events
    source = app.topic(*names, value_serializer="raw", key_serializer="raw")
    partitions = settings.kafka.partitions
    # Segments are bytes already (dedup.encode_segment): no JSON on the way to the changelog.
    seen = app.Table(SEEN_TABLE, partitions=partitions, value_type=bytes)
    gate = CommitGate()
    offsets = ProcessedOffsets()
    index = SeenIndex()
    out = handoff or RowsHandoff(settings.kafka, settings.topic("rows"))
    decoder = EventDecoder(SchemaCatalog(), registry_client(settings.kafka.schema_registry_url))
    bounds = InstantBounds.from_settings(settings.contract)
    handler = BatchHandler(decoder, settings.stream, bounds, out, index)
    install_metrics(app, settings.stream.app_id)
    faults = FaultPoints(settings.fault)

    @app.agent(source, isolated_partitions=True)
    async def process(stream: Any) -> None:
        # Not earlier: the consumer decides once, when first built, whether it is transactional
        # (only inside a started worker), so building it in create_app would disable EOS.
        try:
            gate.install(app)
            offsets.install(app)
        except StreamError as exc:
            _stop_loudly(exc)
        async for source_batch in stream:
            try:
                batch = _incoming(source_batch)
                writer = FaustPartitionTable(seen, source_batch.partition)
                started = time.perf_counter()
                async with gate.batch():
                    gated = time.perf_counter()
                    index.sync(seen.data, source_batch.generation_id)
                    now_ms = int(time.time() * 1000)
                    summary = handler.handle(batch, writer, now_ms)
                    handled = time.perf_counter()
                    sent = await writer.send()
                    await asyncio.wait_for(asyncio.gather(*sent), DURABLE_TIMEOUT_SECONDS)
                    faults.hit(WORKER_AFTER_CHANGELOG_ACK)
                    await asyncio.to_thread(out.flush, DURABLE_TIMEOUT_SECONDS)
                    faults.hit(WORKER_AFTER_HANDOFF_FLUSH)
                    offsets.done(source_batch)
                observe_batch(
                    settings.stream.app_id,
                    source_batch,
                    summary,
                    time.perf_counter() - started,
                    app.monitor.tp_end_offsets,
                )
            except BaseException as exc:  # noqa: BLE001 - bad messages never get here
                _stop_loudly(exc)
            log.debug(
                "batch",
                slice=batch[0].source.slice,
                offset=batch[-1].source.offset,
                accepted=summary.accepted,
                duplicates=summary.duplicates,
                dead_letters=summary.dead_letters,
                rows=summary.rows,
                changelog_records=len(sent),
                gate_wait_ms=round((gated - started) * 1000, 1),
                handle_ms=round((handled - gated) * 1000, 1),
                durable_ms=round((time.perf_counter() - handled) * 1000, 1),
            )

    @app.timer(interval=PURGE_INTERVAL_SECONDS)  # type: ignore[untyped-decorator]
    async def purge_seen() -> None:
        owned = {tp.partition for tp in app.assignor.assigned_actives()}
        horizon_ms = settings.stream.dedup_horizon_seconds * 1000
        # Batches expire their own partition's segments; this catches partitions without input.
        purged = 0
        async with gate.batch():
            cutoff = int(time.time() * 1000) - horizon_ms
            for partition in owned:
                for key in index.expire(partition, cutoff, None):
                    delete(seen, partition, key)
                    purged += 1
        if purged:
            log.info("dedup_purged", segments=purged)

    return app


def _member_url(instance_id: str, web_port: int) -> str:
    if not instance_id:
        return f"http://127.0.0.1:{web_port}"
    return f"http://127.0.0.1/{urllib.parse.quote(instance_id, safe='')}"


def _incoming(source_batch: Any) -> list[Incoming]:
    if not isinstance(source_batch, SourceBatch):
        raise StreamError("the source stream did not deliver a batch", got=type(source_batch))
    return source_batch.messages()


def _stop_loudly(exc: BaseException) -> NoReturn:
    fields = exc.as_dict() if isinstance(exc, PulseError) else {"error": repr(exc)}
    log.critical("worker_stopping", **fields, exc_info=exc)
    os._exit(EXIT_INFRASTRUCTURE)
