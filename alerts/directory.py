"""Every alert destination's latest record, read from the start of ``alerts.destinations``.

The deliverer follows the topic in a thread, so a destination added, rotated or disabled by
``pulse alerts destinations`` (or by the deliverer itself on a 410) takes effect within a poll,
without a restart. It reads without a consumer group: every reader needs every destination.
"""

from __future__ import annotations

import threading
import time
import uuid
from types import TracebackType

import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from pulse.alerts.destinations import Destination
from pulse.alerts.errors import DestinationError, DirectoryError
from pulse.settings import KafkaSettings, Settings

log = structlog.get_logger(__name__)

POLL_SECONDS = 0.2


class DestinationDirectory:
    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._topic = topic
        self._consumer = Consumer(
            {
                "bootstrap.servers": kafka.bootstrap_servers,
                # Required by the client; never joined (assign, not subscribe) nor committed.
                "group.id": f"destination-directory-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        meta = self._consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None or not meta.partitions:
            self._consumer.close()
            raise DirectoryError(
                f"topic {topic} does not exist; run `pulse topics apply`", topic=topic
            )
        self._partitions = sorted(meta.partitions)
        self._consumer.assign(
            [TopicPartition(topic, p, OFFSET_BEGINNING) for p in self._partitions]
        )
        self._by_id: dict[str, Destination] = {}
        self._positions = dict.fromkeys(self._partitions, 0)
        self._lock = threading.Lock()
        self._progress = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: Exception | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DestinationDirectory:
        return cls(settings.kafka, settings.topic("alerts.destinations"))

    def get(self, destination_id: str) -> Destination | None:
        self._raise_failure()
        return self._by_id.get(destination_id)

    def of_tenant(self, tenant_id: str) -> list[Destination]:
        return sorted(
            (d for d in self._by_id.values() if d.tenant_id == tenant_id),
            key=lambda d: (d.created_ms, d.destination_id),
        )

    def poll_updates(self, timeout: float = 0.0) -> int:
        with self._lock:
            messages = self._consumer.consume(500, timeout=timeout)
        applied = 0
        for msg in messages:
            error, partition, offset = msg.error(), msg.partition() or 0, msg.offset() or 0
            if error is None:
                self._apply(msg.key(), msg.value(), offset)
                applied += 1
                self._advance(partition, offset + 1)
            elif error.code() == KafkaError._PARTITION_EOF:
                self._advance(partition, offset)
            else:
                log.warning("destination_directory_error", topic=self._topic, error=str(error))
        return applied

    def _advance(self, partition: int, position: int) -> None:
        with self._progress:
            self._positions[partition] = max(self._positions[partition], position)
            self._progress.notify_all()

    def _apply(self, key: bytes | None, value: bytes | None, offset: int) -> None:
        if not key:
            return
        destination_id = key.decode("utf-8", errors="replace")
        if value is None:
            self._by_id.pop(destination_id, None)
            return
        try:
            self._by_id[destination_id] = Destination.from_json(value)
        except DestinationError as exc:
            # Keep the last good record: a bad one must not drop a tenant's deliveries.
            log.warning(
                "destination_record_invalid", topic=self._topic, offset=offset, reason=exc.message
            )

    def wait_until_caught_up(self, timeout: float = 30.0) -> None:
        """Returns once every record written before this call has been applied."""
        deadline = time.monotonic() + timeout
        with self._lock:
            try:
                ends = {
                    p: self._consumer.get_watermark_offsets(
                        TopicPartition(self._topic, p), timeout=timeout, cached=False
                    )[1]
                    for p in self._partitions
                }
            except KafkaException as exc:
                raise DirectoryError(f"cannot read the end of {self._topic}: {exc}") from exc
        while any(self._positions[p] < end for p, end in ends.items()):
            self._raise_failure()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DirectoryError(
                    f"destination directory not caught up with {self._topic} after {timeout} s",
                    topic=self._topic,
                )
            if self._thread is None:
                self.poll_updates(min(remaining, POLL_SECONDS))
            else:
                with self._progress:
                    self._progress.wait(min(remaining, POLL_SECONDS))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._follow, name="destination-directory", daemon=True
            )
            self._thread.start()

    def _follow(self) -> None:
        try:
            while not self._stop.is_set():
                self.poll_updates(POLL_SECONDS)
        except Exception as exc:  # noqa: BLE001 - kept and re-raised in the caller's thread
            self._failure = exc
            with self._progress:
                self._progress.notify_all()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise DirectoryError(
                f"destination directory stopped following {self._topic}: {self._failure}",
                topic=self._topic,
            ) from self._failure

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            self._consumer.close()

    def __enter__(self) -> DestinationDirectory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
