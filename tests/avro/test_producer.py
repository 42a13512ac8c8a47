"""EventProducer routes, keys and partitions like Kafka's Java client, and never hides a failure."""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from pulse.avro.codec import EventDecoder, EventEncoder
from pulse.avro.contract import validate
from pulse.avro.errors import AvroError
from pulse.avro.producer import EventProducer, ProducerError
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import Settings
from pulse.topics import cli
from pulse.topics.declarations import DEFAULT_PATH
from pulse.topics.errors import RoutingError

pytestmark = pytest.mark.kafka


def murmur2(data: bytes) -> int:
    """Kafka's Java ``Utils.murmur2``, written out independently of librdkafka."""
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail = data[length - length % 4 :]
    if len(tail) >= 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def java_partition(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


@pytest.fixture
def topics(settings: Settings, kafka: str) -> Iterator[Settings]:
    """The declared topics under the test's prefix, deleted afterwards."""
    assert cli.run(argparse.Namespace(action="apply", file=DEFAULT_PATH), settings) == 0
    yield settings
    admin = AdminClient({"bootstrap.servers": kafka})
    prefix = settings.kafka.topic_prefix + "."
    mine = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
    for future in admin.delete_topics(mine, operation_timeout=30).values():
        future.result()


def read_all(settings: Settings, short_names: list[str]) -> list[Message]:
    """Every message currently in the given topics."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    parts: list[TopicPartition] = []
    for name in short_names:
        topic = settings.topic(name)
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        parts += [TopicPartition(topic, p, 0) for p in meta.partitions]
    ends = {(p.topic, p.partition): consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts}
    pending = {tp for tp, end in ends.items() if end > 0}
    consumer.assign(parts)
    out: list[Message] = []
    while pending:
        msg = consumer.poll(10)
        assert msg is not None, f"stalled before the end of {pending}"
        assert msg.error() is None, msg.error()
        out.append(msg)
        if msg.offset() + 1 >= ends[(msg.topic(), msg.partition())]:
            pending.discard((msg.topic(), msg.partition()))
    consumer.close()
    return out


def event(event_type: str, **fields: Any) -> dict[str, Any]:
    return validate(
        {
            "event_id": str(uuid.uuid4()),
            "tenant_id": "acme",
            "event_type": event_type,
            "occurred_at": "2026-03-01T10:00:00.123+01:00",
            **fields,
        }
    )


MESSAGE = {"channel": "whatsapp", "direction": "outbound", "sender_type": "agent"}


def test_events_reach_their_topic_with_their_key_and_decode(topics: Settings) -> None:
    """Each event lands in its family's topic, keyed tenant:entity, and decodes to itself."""
    sent = [
        event("message.sent", message_id="m1", conversation_id="c1", **MESSAGE),
        event("conversation.created", conversation_id="c1", channel="whatsapp"),
        event("web.page_view", visitor_id="v1", url="https://x.test/"),
        event("workflow.run_started", workflow_id="w1", run_id="r1"),
        event("contact.created", contact_id="p1"),
    ]
    producer = EventProducer(topics.kafka, EventEncoder(SchemaCatalog()))
    for e in sent:
        producer.publish(e)
    producer.flush()
    names = ["events.conversations", "events.web", "events.outreach", "events.contacts"]
    got = read_all(topics, names)
    decoder = EventDecoder(SchemaCatalog())
    by_id = {decoder.decode(m.value())["event_id"]: m for m in got}
    assert set(by_id) == {e["event_id"] for e in sent}
    expected = [
        ("events.conversations", b"acme:c1"),
        ("events.conversations", b"acme:c1"),
        ("events.web", b"acme:v1"),
        ("events.outreach", b"acme:r1"),
        ("events.contacts", b"acme:p1"),
    ]
    for e, (topic, key) in zip(sent, expected, strict=True):
        msg = by_id[e["event_id"]]
        assert (msg.topic(), msg.key()) == (topics.topic(topic), key)
        assert decoder.decode(msg.value()) == e


def test_partitions_match_the_java_murmur2_partitioner(topics: Settings) -> None:
    """Every key lands in the partition Kafka's Java default partitioner would choose."""
    producer = EventProducer(topics.kafka, EventEncoder(SchemaCatalog()))
    for i in range(200):
        producer.publish(
            event("message.sent", message_id=f"m{i}", conversation_id=f"c{i % 37}", **MESSAGE)
        )
    producer.flush()
    messages = read_all(topics, ["events.conversations"])
    assert len(messages) == 200
    for msg in messages:
        assert msg.partition() == java_partition(msg.key(), topics.kafka.partitions)
    assert len({m.partition() for m in messages}) > 1


def test_unroutable_event_raises_before_sending(topics: Settings) -> None:
    """An event with no key field is refused by publish and nothing reaches Kafka."""
    producer = EventProducer(topics.kafka, EventEncoder(SchemaCatalog()))
    with pytest.raises(RoutingError):
        producer.publish({"tenant_id": "acme", "event_type": "web.event", "visitor_id": None})
    with pytest.raises(RoutingError):
        producer.publish({"tenant_id": "acme", "event_type": "nope.nope"})
    producer.flush()
    assert read_all(topics, ["events.web"]) == []


def test_delivery_failures_are_raised_at_flush(settings: Settings, kafka: str) -> None:
    """Events Kafka never acknowledges (here: topics that do not exist) fail the flush loudly."""
    missing = replace(
        settings, kafka=replace(settings.kafka, topic_prefix=f"missing{uuid.uuid4().hex}")
    )
    producer = EventProducer(
        missing.kafka, EventEncoder(SchemaCatalog()), overrides={"message.timeout.ms": 1500}
    )
    producer.publish(event("contact.created", contact_id="p1"))
    producer.publish(event("contact.created", contact_id="p2"))
    with pytest.raises(ProducerError) as caught:
        producer.flush(timeout=30)
    assert caught.value.fields["failed"] == 2
    assert isinstance(caught.value, AvroError)
    producer.flush()  # the failures were reported once, not kept forever
