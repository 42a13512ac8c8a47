"""Hand-off of rows (and dead letters) to Kafka, durable before the batch is committed.

Faust 0.15 under exactly-once routes every send through its transaction manager, which looks up
the destination's topic group and fails for topics the app does not consume; so rows go out
through a separate idempotent (not transactional) confluent producer. The agent calls
:meth:`RowsHandoff.flush` before its batch body returns: rows are acknowledged by Kafka before
Faust commits the input offsets. A replay after a crash re-sends the same rows, which the sink
absorbs because rows are idempotent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from confluent_kafka import KafkaError, KafkaException, Message, Producer

from pulse.settings import KafkaSettings
from pulse.streams.errors import HandoffError

Headers = list[tuple[str, str | bytes | None]]

# Below the broker's default 1 MiB message limit, with room for the record overhead.
MAX_MESSAGE_BYTES = 512 * 1024
# One row alone makes a message of its own; the worker dead-letters an event whose row would be
# bigger (``too_large``) before anything is derived from it.
MAX_ROW_BYTES = 900_000
ROWS_PER_MESSAGE = 500


class RowsHandoff:
    """Sends row batches (key = table name, value = JSON array, header ``rows``) and letters."""

    def __init__(self, kafka: KafkaSettings, rows_topic: str) -> None:
        self.rows_topic = rows_topic
        self._producer = Producer(
            {
                "bootstrap.servers": kafka.bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "compression.type": "lz4",
                "message.max.bytes": 1_000_000,
            }
        )
        self._errors: list[str] = []
        self._lock = threading.Lock()

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            with self._lock:
                self._errors.append(f"{msg.topic()}: {err.str()}")

    def _produce(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        while True:
            try:
                self._producer.produce(
                    topic, value=value, key=key, headers=headers, on_delivery=self._on_delivery
                )
                return
            except BufferError:
                # The local queue is full: wait for deliveries to make room.
                self._producer.poll(0.1)
            except KafkaException as exc:
                # Messages are bounded before they get here, so this is the client or the
                # cluster failing (an unknown topic, a closed producer): stop loudly.
                raise HandoffError(
                    f"Kafka refused a hand-off message: {exc}", topic=topic, bytes=len(value)
                ) from exc

    def send_rows(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        """Queues ``rows`` of ``table`` as one or more JSON-array messages."""
        for chunk, count in json_chunks(rows):
            headers: Headers = [("rows", str(count).encode())]
            self._produce(self.rows_topic, table.encode(), chunk, headers)

    def send_raw(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        """Queues one message as is (dead letters keep the original bytes)."""
        self._produce(topic, key, value, headers)

    def flush(self, timeout: float = 60.0) -> None:
        """Waits until every queued message is acknowledged; raises :class:`HandoffError` if not."""
        remaining = self._producer.flush(timeout)
        with self._lock:
            errors, self._errors = self._errors, []
        if errors or remaining:
            raise HandoffError(
                "the hand-off was not acknowledged by Kafka",
                undelivered=remaining,
                errors=errors[:5],
                error_count=len(errors),
            )

    def close(self) -> None:
        self._producer.flush(10)


def json_chunks(
    rows: Sequence[dict[str, Any]], max_bytes: int = MAX_MESSAGE_BYTES
) -> Iterator[tuple[bytes, int]]:
    """``rows`` as JSON arrays of at most ``max_bytes`` (unless one row is bigger), with counts.

    One encoder call per array, not per row, and orjson rather than the standard library's
    encoder: JSON was a fifth of the worker's time with ``json.dumps``. A chunk that comes out too
    big is halved and encoded again.
    """
    start, step = 0, ROWS_PER_MESSAGE
    while start < len(rows):
        chunk = rows[start : start + step]
        try:
            encoded = orjson.dumps(chunk)
        except TypeError as exc:
            # Rows hold what Avro decoded (64-bit ints, UTF-8 strings); anything else is a bug.
            raise HandoffError(f"a row cannot be encoded as JSON: {exc}") from exc
        if len(encoded) > max_bytes and len(chunk) > 1:
            step = len(chunk) // 2
            continue
        yield encoded, len(chunk)
        start += len(chunk)
