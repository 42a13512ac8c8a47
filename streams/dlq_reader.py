"""Reads dead letters from the Kafka ``*.dlq`` topics, for ``pulse dlq``.

Why Kafka and not the ``dead_letters`` table: with embedded chdb only ``pulse serve`` may open
ClickHouse, while the dead-letter topics can be read by any process in every deployment, and
they hold the original bytes a replay needs. A scan assigns partitions (no consumer group joins,
nothing is committed) and reads each from its first stored offset to the high watermark taken
when the scan starts, so letters written meanwhile, replays that fail again included, are left
for the next scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from pulse.errors import ServiceUnavailableError
from pulse.settings import Settings
from pulse.streams.dlq_errors import BadLetterIdError, UnknownTopicError
from pulse.streams.dlq_letters import Letter, LetterId
from pulse.topics.declarations import Declarations

TIMEOUT_SECONDS = 10.0
CONSUME_BATCH = 500
# consume() returns when a batch is full or this has passed: only a partition's tail waits it.
CONSUME_WAIT_SECONDS = 0.2


def dlq_topics(settings: Settings, declarations: Declarations, topic: str | None) -> list[str]:
    """Full names of the dead-letter topics to read: all of them, or the one ``topic`` names.

    ``topic`` may be a domain topic or its twin, short (``events.web``) or full.
    """
    twins = {spec.dead_letter_of: spec.name for spec in declarations.topics if spec.dead_letter_of}
    if topic is None:
        return [settings.topic(twin) for twin in twins.values()]
    short = topic.removeprefix(settings.kafka.topic_prefix + ".")
    for source, twin in twins.items():
        if short in (source, twin):
            return [settings.topic(twin)]
    raise UnknownTopicError(
        f"{topic!r} is no topic with a dead-letter twin, nor a twin",
        topic=topic,
        known=", ".join(sorted(twins)),
    )


class DeadLetterScan:
    """Every letter stored in ``topics`` when the scan starts, in offset order per partition.

    ``total`` is how many messages the scan will read (for a progress bar); ``missing`` lists the
    topics that do not exist on the cluster (``pulse topics apply`` was not run): they hold none.
    """

    def __init__(self, settings: Settings, topics: Sequence[str], suffix: str) -> None:
        self._suffix = suffix
        self._consumer = _consumer(settings)
        self._ends: dict[tuple[str, int], int] = {}
        self.missing: list[str] = []
        starts: list[TopicPartition] = []
        self.total = 0
        try:
            for topic in topics:
                partitions = _partitions(self._consumer, topic)
                if partitions is None:
                    self.missing.append(topic)
                for partition in partitions or ():
                    low, high = self._consumer.get_watermark_offsets(
                        TopicPartition(topic, partition), timeout=TIMEOUT_SECONDS
                    )
                    if high > low:
                        self._ends[(topic, partition)] = high
                        starts.append(TopicPartition(topic, partition, low))
                        self.total += high - low
            self._consumer.assign(starts)
        except KafkaException as exc:
            self._consumer.close()
            raise _unavailable(exc) from exc

    def __iter__(self) -> Iterator[Letter]:
        while self._ends:
            for message in self._consumer.consume(CONSUME_BATCH, timeout=CONSUME_WAIT_SECONDS):
                letter = self._take(message)
                if letter is not None:
                    yield letter

    def _take(self, message: Message) -> Letter | None:
        topic, partition, offset = message.topic(), message.partition(), message.offset()
        assert topic is not None and partition is not None and offset is not None
        where = (topic, partition)
        error = message.error()
        if error is not None:
            # End of the partition now: anything below the captured end is gone (retention).
            if error.code() == KafkaError._PARTITION_EOF:
                self._ends.pop(where, None)
                return None
            raise ServiceUnavailableError(
                "a dead-letter topic cannot be read", topic=topic, error=error.str()
            )
        end = self._ends.get(where)
        if end is None or offset >= end:
            self._ends.pop(where, None)
            return None
        if offset == end - 1:
            del self._ends[where]
        return _letter(message, LetterId(topic, partition, offset), self._suffix)

    def close(self) -> None:
        self._consumer.close()


def fetch_letter(settings: Settings, letter_id: LetterId, suffix: str) -> Letter:
    """The letter stored at ``letter_id``; :class:`BadLetterIdError` if there is none."""
    if not letter_id.topic.endswith(suffix):
        raise BadLetterIdError(
            f"{letter_id.topic!r} is not a dead-letter topic (its name ends with {suffix!r})",
            letter_id=str(letter_id),
        )
    consumer = _consumer(settings)
    try:
        partitions = _partitions(consumer, letter_id.topic)
        if partitions is None:
            raise BadLetterIdError(
                f"{letter_id.topic} does not exist on the cluster", letter_id=str(letter_id)
            )
        if letter_id.partition not in partitions:
            raise BadLetterIdError(
                f"{letter_id.topic} has no partition {letter_id.partition}",
                letter_id=str(letter_id),
            )
        place = TopicPartition(letter_id.topic, letter_id.partition, letter_id.offset)
        low, high = consumer.get_watermark_offsets(place, timeout=TIMEOUT_SECONDS)
        if not low <= letter_id.offset < high:
            raise BadLetterIdError(
                f"no letter at {letter_id}: the partition holds offsets {low} to {high - 1}",
                letter_id=str(letter_id),
            )
        consumer.assign([place])
        for message in consumer.consume(1, timeout=TIMEOUT_SECONDS):
            error = message.error()
            if error is not None:
                raise ServiceUnavailableError(
                    "a dead-letter topic cannot be read", topic=letter_id.topic, error=error.str()
                )
            if message.offset() == letter_id.offset:
                return _letter(message, letter_id, suffix)
        raise BadLetterIdError(f"no letter at {letter_id}", letter_id=str(letter_id))
    except KafkaException as exc:
        raise _unavailable(exc) from exc
    finally:
        consumer.close()


def _consumer(settings: Settings) -> Consumer:
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka.bootstrap_servers,
        # Required by the client even though partitions are assigned and nothing is committed.
        "group.id": f"{settings.kafka.topic_prefix}-dlq-reader-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "allow.auto.create.topics": False,
    }
    return Consumer(config)


def _partitions(consumer: Consumer, topic: str) -> list[int] | None:
    """The topic's partitions, or None when the cluster does not have it."""
    meta = consumer.list_topics(topic, timeout=TIMEOUT_SECONDS).topics.get(topic)
    if meta is None or meta.error is not None:
        return None
    return sorted(meta.partitions)


def _letter(message: Message, letter_id: LetterId, suffix: str) -> Letter:
    _, timestamp_ms = message.timestamp()
    headers = message.headers() or []
    pairs = headers.items() if isinstance(headers, dict) else headers
    return Letter.from_message(
        letter_id, message.key(), message.value(), pairs, timestamp_ms, suffix
    )


def _unavailable(exc: KafkaException) -> ServiceUnavailableError:
    return ServiceUnavailableError("Kafka cannot be reached", error=str(exc.args[0]))
