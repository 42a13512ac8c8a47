"""``pulse alerts deliver``: consumes ``alerts.notifications`` and delivers every one.

Order of a notification's commit (docs/ARCHITECTURE.md, "Alert deliveries"):
1. every destination of the notification reaches a final outcome, concurrently with the other
   notifications (bounded by ``PULSE_ALERTS_CONCURRENCY``), so one slow retry blocks nothing;
2. its attempt rows (``alert_deliveries``, via ``pulse.rows``), dead letters and disabled
   destination records are acknowledged by Kafka;
3. its offset is committed, once every older notification of its partition is done too.
A crash anywhere before 3 delivers the notification again, with the same ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from pulse.alerts.delivery import Deliverer
from pulse.alerts.destinations import Destination, publish_destination
from pulse.alerts.directory import DestinationDirectory
from pulse.alerts.errors import AlertPublishError, NotificationError
from pulse.alerts.notifications import Notification
from pulse.alerts.offsets import OffsetTracker
from pulse.alerts.senders import Senders, http_client
from pulse.alerts.url_safety import UrlPolicy
from pulse.settings import Settings
from pulse.streams.handoff import RowsHandoff
from pulse.topics.compacted import acknowledged_producer

log = structlog.get_logger(__name__)

TABLE = "alert_deliveries"
POLL_SECONDS = 0.2


class KafkaEffects:
    """Attempt rows to the hand-off topic; disabled destinations and dead letters to theirs."""

    def __init__(self, settings: Settings, producer: Producer, handoff: RowsHandoff) -> None:
        self._destinations_topic = settings.topic("alerts.destinations")
        self._dlq_topic = settings.topic("alerts.notifications") + ".dlq"
        self._producer = producer
        self._handoff = handoff
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def record(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._rows.append(row)

    async def disable(self, destination: Destination, reason: str) -> None:
        disabled = destination.disabled(reason)
        await asyncio.to_thread(
            publish_destination, self._producer, self._destinations_topic, disabled
        )
        log.warning(
            "alert_destination_disabled",
            destination_id=destination.destination_id,
            tenant_id=destination.tenant_id,
            reason=reason,
        )

    async def dead_letter(
        self, notification: Notification, destination_id: str, reason: str
    ) -> None:
        letter = notification.only(destination_id)
        await asyncio.to_thread(
            publish_dead_letter,
            self._producer,
            self._dlq_topic,
            letter.key.encode(),
            letter.to_json(),
            reason,
        )

    async def unreadable(self, key: bytes | None, value: bytes | None, reason: str) -> None:
        """Keeps a record that is no notification, as it came, beside the dead letters."""
        await asyncio.to_thread(
            publish_dead_letter, self._producer, self._dlq_topic, key, value, reason
        )

    def flush(self) -> None:
        """Makes the attempt rows recorded so far durable (blocking)."""
        with self._lock:
            rows, self._rows = self._rows, []
        if rows:
            self._handoff.send_rows(TABLE, rows)
            self._handoff.flush()


def publish_dead_letter(
    producer: Producer, topic: str, key: bytes | None, value: bytes | None, reason: str
) -> None:
    failures: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            failures.append(err)

    producer.produce(
        topic,
        key=key,
        value=value,
        headers=[("reason", reason[:1024].encode())],
        on_delivery=on_delivery,
    )
    if producer.flush(30) or failures:
        raise AlertPublishError("a dead letter was not acknowledged", topic=topic)


class DeliveryWorker:
    def __init__(self, settings: Settings, directory: DestinationDirectory) -> None:
        self._settings = settings
        self._topic = settings.topic("alerts.notifications")
        self._directory = directory
        self._producer = acknowledged_producer(settings.kafka)
        self._handoff = RowsHandoff(settings.kafka, settings.topic("rows"))
        self._effects = KafkaEffects(settings, self._producer, self._handoff)
        self._client = http_client(settings.alerts, UrlPolicy.from_settings(settings.alerts))
        self._deliverer = Deliverer(
            settings.alerts,
            Senders(settings.alerts, self._client),
            self._lookup,
            self._effects,
            random.Random(),
        )
        self._tracker = OffsetTracker()
        self._generation = 0
        # The consumer is used from this one thread only; librdkafka calls the rebalance
        # callbacks inside consume(), on that same thread.
        self._kafka_thread = ThreadPoolExecutor(1, thread_name_prefix="alerts-consumer")
        self._consumer = Consumer(
            {
                "bootstrap.servers": settings.kafka.bootstrap_servers,
                "group.id": settings.alerts.group_id,
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                # A killed deliverer's partitions move to a live one after this, not 45 s.
                "session.timeout.ms": 10000,
            }
        )
        self._tasks: set[asyncio.Task[None]] = set()

    def _lookup(self, destination_id: str) -> Destination | None:
        return self._directory.get(destination_id)

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(
            self._kafka_thread,
            lambda: self._consumer.subscribe([self._topic], on_revoke=self._on_revoke),
        )
        log.info("alert_deliverer_started", topic=self._topic, group=self._settings.alerts.group_id)
        try:
            while not stop.is_set():
                if self._tracker.in_flight() < self._settings.alerts.concurrency * 4:
                    messages = await loop.run_in_executor(self._kafka_thread, self._consume)
                    for message in messages:
                        self._start(message)
                else:
                    await asyncio.sleep(POLL_SECONDS)
                await self._commit_done()
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._commit_done()
            await loop.run_in_executor(self._kafka_thread, self._consumer.close)
            await self._client.aclose()
            self._handoff.close()
            self._kafka_thread.shutdown()

    def _consume(self) -> list[Message]:
        # consume() waits for all of num_messages or the timeout: a lone notification idled
        # POLL_SECONDS there. Take what the client has fetched; block only for the first one.
        return self._consumer.consume(100, 0) or self._consumer.consume(1, POLL_SECONDS)

    def _start(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("alert_consumer_error", topic=self._topic, error=str(error))
            return
        partition, offset = message.partition() or 0, message.offset() or 0
        self._tracker.started(partition, offset)
        task = asyncio.create_task(self._handle(message, partition, offset, self._generation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, message: Message, partition: int, offset: int, generation: int) -> None:
        bound = log.bind(topic=self._topic, partition=partition, offset=offset)
        try:
            notification = Notification.from_json(message.value())
        except NotificationError as exc:
            # Nothing to deliver and nothing a retry could fix: kept as a dead letter.
            bound.error("alert_notification_invalid", reason=exc.message)
            await self._effects.unreadable(message.key(), message.value(), exc.message)
        else:
            bound = bound.bind(
                tenant_id=notification.tenant_id, notification_id=notification.notification_id
            )
            outcomes = await asyncio.gather(
                *(self._deliverer.deliver(notification, d) for d in notification.destinations)
            )
            bound.info("alert_notification_done", outcomes=list(outcomes))
        if generation == self._generation:
            self._tracker.finished(partition, offset)

    async def _commit_done(self) -> None:
        positions = self._tracker.committable()
        if not positions:
            return
        loop = asyncio.get_running_loop()
        # Rows and letters first: a commit must never cover an attempt Kafka does not hold.
        await asyncio.to_thread(self._effects.flush)
        offsets = [TopicPartition(self._topic, p, o) for p, o in positions.items()]
        await loop.run_in_executor(
            self._kafka_thread, lambda: self._consumer.commit(offsets=offsets, asynchronous=False)
        )
        self._tracker.mark_committed(positions)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = [tp.partition for tp in partitions]
        positions = {p: o for p, o in self._tracker.committable().items() if p in revoked}
        if positions:
            self._effects.flush()
            # A failed commit only means the next owner re-delivers them (same webhook-id).
            with contextlib.suppress(KafkaException):
                consumer.commit(
                    offsets=[TopicPartition(self._topic, p, o) for p, o in positions.items()],
                    asynchronous=False,
                )
        self._tracker.forget(revoked)
        self._generation += 1
