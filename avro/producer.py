"""The producer SDK: encodes logical events and publishes them to their domain topic, keyed.

Routing (topic and key) comes from ``topics.toml`` through :mod:`pulse.topics.routing`; the
murmur2 partitioner matches Kafka's Java default, so every client puts a key in the same
partition. Delivery failures are collected by the delivery callback and raised by :meth:`flush`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from confluent_kafka import KafkaError, Message, Producer

from pulse.avro.errors import AvroError
from pulse.avro.instants import InstantBounds
from pulse.settings import ContractSettings, KafkaSettings
from pulse.topics.routing import Router, default_router

# Serving the delivery callbacks every this many events keeps the client's queue draining
# without paying a poll() call per event.
POLL_EVERY = 1000


class Encoder(Protocol):
    def encode(self, event: Mapping[str, Any]) -> bytes: ...


class ProducerError(AvroError):
    """Kafka did not acknowledge some published events; ``failed`` counts them."""

    code = "producer_error"


def producer_config(kafka: KafkaSettings) -> dict[str, Any]:
    return {
        "bootstrap.servers": kafka.bootstrap_servers,
        "enable.idempotence": True,
        "acks": "all",
        "partitioner": "murmur2_random",
        "linger.ms": 20,
        "compression.type": "lz4",
        "batch.size": 1_000_000,
        "batch.num.messages": 10_000,
        "queue.buffering.max.messages": 500_000,
        # Successes need no callback; only failures are reported, which keeps poll() cheap.
        "delivery.report.only.error": True,
    }


class EventProducer:
    """Publishes validated events (``contract.validate``'s output) to ``<prefix>.<domain>``."""

    def __init__(
        self,
        kafka: KafkaSettings,
        encoder: Encoder,
        router: Router | None = None,
        overrides: Mapping[str, Any] | None = None,
        bounds: InstantBounds | None = None,
    ) -> None:
        self._encoder = encoder
        self._bounds = bounds or InstantBounds.from_settings(ContractSettings())
        self._router = router or default_router()
        self._prefix = kafka.topic_prefix + "."
        self._topics: dict[str, str] = {}
        self._failures: list[tuple[str, KafkaError]] = []
        self._unpolled = 0
        config = {**producer_config(kafka), **(overrides or {}), "on_delivery": self._on_delivery}
        self._producer = Producer(config)

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._failures.append((str(msg.topic()), err))

    def publish(self, event: Mapping[str, Any]) -> None:
        """Encodes ``event`` and queues it for its domain topic; raises only for a bad event.

        Its ``occurred_at`` must lie within the bounds (:mod:`pulse.avro.instants`), judged
        against the wall clock: the worker would dead-letter it otherwise."""
        occurred_at = event.get("occurred_at")
        if type(occurred_at) is int:
            self._bounds.check("occurred_at", occurred_at, int(time.time() * 1000))
        short = self._router.topic_for(event.get("event_type", ""))
        topic = self._topics.get(short)
        if topic is None:
            topic = self._topics.setdefault(short, self._prefix + short)
        key = self._router.key_for(event)
        value = self._encoder.encode(event)
        while True:
            try:
                self._producer.produce(topic, value, key)
                break
            except BufferError:
                # The local queue is full: wait for the broker to acknowledge some batches.
                self._producer.poll(0.05)
        self._unpolled += 1
        if self._unpolled >= POLL_EVERY:
            self._unpolled = 0
            self._producer.poll(0)

    def flush(self, timeout: float = 60.0) -> None:
        """Waits until every queued event is acknowledged; raises :class:`ProducerError` if not."""
        remaining = self._producer.flush(timeout)
        failures, self._failures = self._failures, []
        if remaining or failures:
            first = f"{failures[0][0]}: {failures[0][1]}" if failures else "timed out"
            raise ProducerError(
                f"{len(failures) + remaining} event(s) not acknowledged by Kafka ({first})",
                failed=len(failures),
                pending=remaining,
                first_error=first,
            )
