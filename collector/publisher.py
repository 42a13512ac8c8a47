"""Publishes a request's accepted events (and dead letters) and tells when Kafka acknowledged all.

The producer is the SDK's idempotent one (:func:`pulse.avro.producer.producer_config`), shared
by every request; each request gets its own :class:`Delivery`, settled by the delivery reports
of its own messages only, so a request never waits for, or is failed by, another's. Reports
are served by a thread polling the client; they resolve the request's future on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from pulse.avro.producer import producer_config
from pulse.settings import KafkaSettings
from pulse.streams.handoff import Headers

# The SDK lingers 20 ms to fill batches; a single-event request would wait that long for its
# answer. A bulk request fills its batches by itself.
LINGER_MS = 2
POLL_SECONDS = 0.1


class Delivery:
    """The acknowledgement of one request's messages: ``done`` resolves once every one has a
    report, with the first error (or None)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.done: asyncio.Future[KafkaError | None] = loop.create_future()
        self._loop = loop
        self._lock = threading.Lock()
        self._pending = 1  # the request's own hold, released by seal()
        self._error: KafkaError | None = None

    def add(self) -> None:
        with self._lock:
            self._pending += 1

    def report(self, err: KafkaError | None, _msg: Message | None = None) -> None:
        with self._lock:
            if err is not None and self._error is None:
                self._error = err
            self._pending -= 1
            finished = self._pending == 0
        if finished:
            self._loop.call_soon_threadsafe(self._settle)

    def seal(self) -> None:
        """No more messages: resolves ``done`` once the queued ones are reported."""
        self.report(None)

    def _settle(self) -> None:
        if not self.done.done():
            self.done.set_result(self._error)


class Publisher:
    def __init__(self, kafka: KafkaSettings, overrides: dict[str, Any] | None = None) -> None:
        config = {
            **producer_config(kafka),
            "linger.ms": LINGER_MS,
            "delivery.report.only.error": False,
            **(overrides or {}),
        }
        self._producer = Producer(config)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="collector-producer", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(POLL_SECONDS)

    def send(
        self,
        delivery: Delivery,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: Headers | None = None,
    ) -> None:
        """Queues one message of ``delivery``; raises :class:`KafkaException` if the client
        refuses it (too large, queue full): nothing of it was queued."""
        delivery.add()
        try:
            self._producer.produce(
                topic, value, key, headers=list(headers or ()), on_delivery=delivery.report
            )
        except (KafkaException, BufferError):
            delivery.report(None)
            raise

    def close(self, timeout: float = 10.0) -> int:
        """Stops polling and flushes; returns how many messages were still unacknowledged."""
        self._stop.set()
        self._thread.join()
        return int(self._producer.flush(timeout))


def too_large(exc: KafkaException) -> bool:
    error = exc.args[0] if exc.args else None
    return isinstance(error, KafkaError) and error.code() == KafkaError.MSG_SIZE_TOO_LARGE
