"""Consumer lag from committed offsets, and ``pulse lag --wait`` that the demo waits on."""

from __future__ import annotations

import argparse

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from pulse.lag import committed_lag, partition_lag
from pulse.lag_cli import run
from pulse.settings import Settings


def test_partition_lag_is_unknown_while_an_offset_is_a_sentinel() -> None:
    """Negative offsets (librdkafka's 'none yet') give no lag; a position past high gives 0."""
    assert partition_lag(10, 4) == 6
    assert partition_lag(10, 12) == 0
    assert partition_lag(-1001, 4) is None
    assert partition_lag(10, -1001) is None


def fill(settings: Settings, topic: str, messages: int) -> None:
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap_servers})
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    for i in range(messages):
        producer.produce(topic, value=b"x", partition=i % 2)
    assert producer.flush(30) == 0


def commit(settings: Settings, group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": group})
    try:
        parts = [TopicPartition(topic, p, o) for p, o in offsets.items()]
        consumer.commit(offsets=parts, asynchronous=False)
    finally:
        consumer.close()


@pytest.mark.kafka
def test_committed_lag_counts_from_the_commit_or_the_start(settings: Settings, kafka: str) -> None:
    """A partition never committed lags by all its messages; a committed one by the rest."""
    topic = settings.topic("lagged")
    fill(settings, topic, 6)
    group = f"{settings.kafka.topic_prefix}-lag"
    assert committed_lag(kafka, group, [topic], 10) == {(topic, 0): 3, (topic, 1): 3}
    commit(settings, group, topic, {0: 2})
    assert committed_lag(kafka, group, [topic], 10) == {(topic, 0): 1, (topic, 1): 3}
    assert committed_lag(kafka, group, [settings.topic("absent")], 10) == {}


@pytest.mark.kafka
def test_lag_wait_fails_with_a_message_while_the_worker_is_behind(
    settings: Settings, kafka: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With unread input it gives up after --timeout naming the group; with none it returns 0."""
    wait = argparse.Namespace(wait=True, timeout=1.5)
    assert run(wait, settings) == 0
    fill(settings, settings.topic("events.web"), 4)
    assert run(wait, settings) == 1
    assert f"{settings.stream.app_id} is still 4 messages behind" in capsys.readouterr().err
    commit(settings, settings.stream.app_id, settings.topic("events.web"), {0: 2, 1: 2})
    assert run(wait, settings) == 0
