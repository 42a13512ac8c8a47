"""Kafka helpers of the sink tests: a fresh hand-off topic and a producer of hand-off messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from pulse.settings import Settings


def create_rows_topic(settings: Settings, partitions: int = 3) -> str:
    """The hand-off topic and its dead-letter twin."""
    topic = settings.topic("rows")
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap_servers})
    names = [topic, topic + ".dlq"]
    futures = admin.create_topics(
        [NewTopic(name, partitions, 1) for name in names], operation_timeout=10
    )
    for name in names:
        futures[name].result(timeout=30)
    return topic


def read_topic(settings: Settings, topic: str, timeout: float = 10.0) -> list[Any]:
    """Every message of ``topic`` from the start (until none came for a second)."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": f"read-{topic}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    messages: list[Any] = []
    try:
        idle = 0.0
        while idle < timeout:
            batch = consumer.consume(100, timeout=1.0)
            good = [m for m in batch if m.error() is None]
            messages += good
            idle = idle + 1.0 if not good else (timeout - 1.0 if messages else 0.0)
    finally:
        consumer.close()
    return messages


def produce(
    settings: Settings, messages: Sequence[tuple[str, Any]], partition: int | None = None
) -> None:
    """Send ``(table, rows)`` pairs; rows are JSON-encoded unless they are already bytes."""
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    for table, rows in messages:
        value = rows if isinstance(rows, bytes) else json.dumps(rows).encode()
        kwargs: dict[str, Any] = {} if partition is None else {"partition": partition}
        producer.produce(settings.topic("rows"), key=table.encode(), value=value, **kwargs)
    assert producer.flush(30) == 0


def committed(settings: Settings, partitions: int = 3) -> dict[int, int]:
    """The sink group's committed offset per partition (negative when none)."""
    consumer = Consumer(
        {"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": settings.sink.group_id}
    )
    try:
        tps = [TopicPartition(settings.topic("rows"), p) for p in range(partitions)]
        return {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=10)}
    finally:
        consumer.close()
