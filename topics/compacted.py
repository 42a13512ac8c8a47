"""Records on a compacted topic: publish one and wait for its ack, or follow them all.

Tenant settings and API keys live this way (and any directory every process needs whole): a
record per key, the latest wins, a null value removes it. A :class:`CompactedDirectory` reads
the topic from its beginning without a consumer group (every reader needs every record) and
hands each record to its subclass's :meth:`~CompactedDirectory._apply`. Use it either by
calling :meth:`~CompactedDirectory.poll_updates` from one's own loop, or by
:meth:`~CompactedDirectory.start`-ing a background thread; ``wait_until_caught_up`` works in
both modes.
"""

from __future__ import annotations

import threading
import time
import uuid
from abc import ABC, abstractmethod
from types import TracebackType
from typing import ClassVar, Self

import structlog
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from pulse.errors import PulseError
from pulse.settings import KafkaSettings

log = structlog.get_logger(__name__)

POLL_SECONDS = 0.2


def acknowledged_producer(kafka: KafkaSettings) -> Producer:
    """An idempotent producer whose records every in-sync replica acknowledges."""
    return Producer(
        {"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True, "acks": "all"}
    )


def publish_record(
    producer: Producer,
    topic: str,
    key: str,
    value: bytes | None,
    error: type[PulseError],
    what: str,
) -> None:
    """Writes ``value`` (None: a tombstone) under ``key`` and waits for the broker's ack;
    raises ``error`` naming ``what`` if it does not come."""
    failures: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            failures.append(err)

    producer.produce(topic, key=key.encode(), value=value, on_delivery=on_delivery)
    if producer.flush(30) or failures:
        reason = str(failures[0]) if failures else "not acknowledged within 30 s"
        raise error(f"{what} not written: {reason}", topic=topic, key=key)


class CompactedDirectory(ABC):
    """The latest record of every key of a compacted topic, kept by the subclass."""

    # Names the directory in errors, logs and its thread ("tenant directory").
    role: ClassVar[str]
    # What its failures raise: the reader's own family of errors; a missing topic too, unless
    # the reader tells it apart.
    error: ClassVar[type[PulseError]]
    missing_error: ClassVar[type[PulseError] | None] = None

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._topic = topic
        self._consumer = Consumer(
            {
                "bootstrap.servers": kafka.bootstrap_servers,
                # Required by the client; never joined (assign, not subscribe) nor committed.
                "group.id": f"{self.role.replace(' ', '-')}-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",
            }
        )
        self._partitions = self._assign_all()
        # Next offset to read per partition, -1 until the first record of it has been read.
        self._positions = dict.fromkeys(self._partitions, -1)
        self._lock = threading.Lock()  # the consumer is used by one thread at a time
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._failure: Exception | None = None

    @abstractmethod
    def _apply(self, key: str, value: bytes | None, msg: Message) -> None:
        """Keeps (or, for a None value, forgets) the record of ``key``; a bad record is the
        subclass's to log and skip, never to raise."""

    def _assign_all(self) -> list[int]:
        meta = self._consumer.list_topics(self._topic, timeout=10).topics.get(self._topic)
        if meta is None or meta.error is not None or not meta.partitions:
            self._consumer.close()
            raise (self.missing_error or self.error)(
                f"topic {self._topic} does not exist; run `pulse topics apply`", topic=self._topic
            )
        partitions = sorted(meta.partitions)
        self._consumer.assign(
            [TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in partitions]
        )
        return partitions

    def poll_updates(self, timeout: float = 0.0) -> int:
        """Applies the records available within ``timeout`` seconds; returns how many."""
        with self._lock:
            messages = self._consumer.consume(1000, timeout=timeout)
            positions = self._consumer.position(
                [TopicPartition(self._topic, p) for p in self._partitions]
            )
        applied = 0
        for msg in messages:
            error = msg.error()
            if error is None:
                key = msg.key()
                if key:
                    self._apply(key.decode("utf-8", errors="replace"), msg.value(), msg)
                    applied += 1
                else:
                    log.warning("record_without_key", topic=self._topic, offset=msg.offset())
            elif error.code() != KafkaError._PARTITION_EOF:
                log.warning("directory_read_error", topic=self._topic, error=str(error))
        with self._progress:
            for tp in positions:
                if tp.offset >= 0:
                    self._positions[tp.partition] = tp.offset
            self._progress.notify_all()
        return applied

    def wait_until_caught_up(self, timeout: float = 30.0) -> None:
        """Returns once every record written before this call has been applied."""
        deadline = time.monotonic() + timeout
        targets = self._end_offsets(deadline)
        while not self._caught_up(targets):
            self._raise_failure()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.error(
                    f"{self.role} not caught up with {self._topic} after {timeout} s",
                    topic=self._topic,
                )
            if self._thread is not None:
                with self._progress:
                    self._progress.wait(min(remaining, POLL_SECONDS))
            else:
                self.poll_updates(timeout=min(remaining, POLL_SECONDS))

    def _end_offsets(self, deadline: float) -> dict[int, tuple[int, int]]:
        """(low, high) watermarks per partition, retried while a new topic elects its leaders."""
        while True:
            try:
                with self._lock:
                    return {
                        p: self._consumer.get_watermark_offsets(
                            TopicPartition(self._topic, p), timeout=5, cached=False
                        )
                        for p in self._partitions
                    }
            except KafkaException as exc:
                if time.monotonic() > deadline:
                    raise self.error(
                        f"cannot read the end offsets of {self._topic}: {exc}", topic=self._topic
                    ) from exc
                time.sleep(POLL_SECONDS)

    def _caught_up(self, targets: dict[int, tuple[int, int]]) -> bool:
        with self._progress:
            return all(
                high <= low or self._positions[p] >= high for p, (low, high) in targets.items()
            )

    def start(self) -> None:
        """Follows the topic in a daemon thread until :meth:`close`."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._follow, name=self.role.replace(" ", "-"), daemon=True
            )
            self._thread.start()

    def _follow(self) -> None:
        try:
            while not self._stop.is_set():
                self.poll_updates(timeout=POLL_SECONDS)
        except Exception as exc:  # noqa: BLE001 - kept and re-raised in the caller's thread
            self._failure = exc
            with self._progress:
                self._progress.notify_all()

    def _raise_failure(self) -> None:
        """Raises, in the reader's thread, what stopped the background thread."""
        if self._failure is not None:
            raise self.error(
                f"{self.role} stopped following {self._topic}: {self._failure}",
                topic=self._topic,
            ) from self._failure

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            self._consumer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
