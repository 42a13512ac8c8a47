"""Re-publishes dead letters to their source topics, for ``pulse dlq replay``.

A replayed message is the rejected one again, its original key and bytes, with a
``pulse.replay.of`` header naming the letter. The worker treats it like any other message: a fix
made since (a new schema version, a raised bound) lets it through, and one still bad goes back to
the dead-letter topic. The key goes through the producers' murmur2 partitioner, so the message
lands in the partition that holds its entity's state and dedup entries; dedup keys on
``(tenant_id, event_id)``, so an event replayed twice, or already accepted, counts once.

The replayed message gets a new broker timestamp, so the instant bounds judge it against the
replay time (an old one would also meet the source topic's time-based retention early).

A letter of the HTTP collector holds JSON: it is judged again first
(:mod:`pulse.collector.replay`) and what passes is sent, encoded, with :meth:`Replayer.send_event`.
"""

from __future__ import annotations

import threading

from confluent_kafka import KafkaError, Message, Producer

from pulse.avro.producer import producer_config
from pulse.settings import KafkaSettings
from pulse.streams.dlq_errors import ReplayError
from pulse.streams.dlq_letters import REPLAY_OF, Letter

FLUSH_TIMEOUT_SECONDS = 60.0


class Replayer:
    """An idempotent producer of replays; :meth:`flush` raises if any was not acknowledged."""

    def __init__(self, kafka: KafkaSettings) -> None:
        config = {**producer_config(kafka), "on_delivery": self._on_delivery}
        self._producer = Producer(config)
        self._failures: list[str] = []
        self._lock = threading.Lock()
        self.sent = 0

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            with self._lock:
                self._failures.append(f"{msg.topic()}: {err.str()}")

    def send(self, letter: Letter) -> None:
        """Queues ``letter``'s original message for its source topic; never a truncated one."""
        if letter.truncated:
            raise ReplayError(
                "a truncated letter holds only a prefix of its message", letter_id=str(letter.id)
            )
        self.send_event(letter, letter.source_topic, letter.key, letter.value)

    def send_event(self, letter: Letter, topic: str, key: bytes | None, value: bytes) -> None:
        """Queues an event replayed from ``letter`` (``value`` to ``topic``)."""
        headers: list[tuple[str, str | bytes | None]] = [(REPLAY_OF, str(letter.id).encode())]
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, headers=headers)
                break
            except BufferError:
                # The local queue is full: wait for the broker to acknowledge some.
                self._producer.poll(0.05)
        self._producer.poll(0)
        self.sent += 1

    def flush(self, timeout: float = FLUSH_TIMEOUT_SECONDS) -> None:
        remaining = self._producer.flush(timeout)
        with self._lock:
            failures, self._failures = self._failures, []
        if remaining or failures:
            raise ReplayError(
                f"{len(failures) + remaining} of {self.sent} replayed message(s) were not "
                "acknowledged by Kafka",
                failed=len(failures),
                pending=remaining,
                first_error=failures[0] if failures else "timed out",
            )
