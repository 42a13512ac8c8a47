"""Consumer lag from Kafka's own figures: the messages a group has yet to read or commit.

``position_lag`` is for a running consumer (the sink): positions and the watermarks cached from
its fetches, no request to the broker. ``committed_lag`` is for an onlooker (``pulse lag``): it
asks the broker for the group's committed offsets and the partitions' watermarks.
"""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaException, TopicPartition

from pulse.errors import ServiceUnavailableError

Lags = dict[tuple[str, int], int]


def partition_lag(high: int, offset: int) -> int | None:
    """``high - offset``, or None while either is unknown (librdkafka's negative sentinels)."""
    if high < 0 or offset < 0:
        return None
    return max(0, high - offset)


def position_lag(consumer: Consumer) -> Lags:
    """The lag of each assigned partition whose position and high watermark are known."""
    lags: Lags = {}
    for tp in consumer.position(consumer.assignment()):
        _, high = consumer.get_watermark_offsets(tp, cached=True)
        lag = partition_lag(high, tp.offset)
        if lag is not None:
            lags[tp.topic, tp.partition] = lag
    return lags


def committed_lag(
    bootstrap_servers: str, group: str, topics: Iterable[str], timeout: float
) -> Lags:
    """The messages of ``topics`` that ``group`` has not committed, per partition.

    A partition the group never committed counts from its low watermark, where a new member
    starts (``auto.offset.reset=earliest``). A topic that does not exist yet has no partitions.
    """
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": group, "log_level": 0})
    try:
        parts = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.list_topics(topic, timeout=timeout).topics[topic].partitions
        ]
        lags: Lags = {}
        for tp in consumer.committed(parts, timeout=timeout) if parts else []:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=timeout
            )
            lags[tp.topic, tp.partition] = partition_lag(high, max(tp.offset, low)) or 0
        return lags
    except KafkaException as exc:
        raise ServiceUnavailableError(
            f"cannot read the lag of {group}: {exc}", group=group
        ) from exc
    finally:
        consumer.close()
