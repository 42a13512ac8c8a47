"""One running worker + serve fed with bad input among good events, and what they left behind.

The good events' figures are computed here from the events themselves (plain dictionaries, no
import of the pipeline's bucketing or metrics), so a bad input that leaked into the counters
shows as a difference.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from pulse.avro.codec import EventEncoder
from pulse.avro.contract import validate
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.topics.routing import default_router
from tests.e2e.harness import DOMAIN_TOPICS, Pipeline, free_port, pulse
from tests.fuzz.strategies import CATALOG

GOOD_TENANT = "acme"
COUNTED = {
    "message.sent": "sent",
    "message.delivered": "delivered",
    "message.received": "received",
}
CHANNELS = ("email", "whatsapp")
DAY_QUERY = """
query($from: DateTime!, $to: DateTime!) {
  messagingMetrics(from: $from, to: $to, granularity: DAY) {
    buckets { start sent delivered received }
  }
}
"""
# The broker accepts up to 1 MiB + 12 bytes a record; the client must not refuse first.
PRODUCER_MAX_BYTES = 1_048_588


def fuzz_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        api=replace(settings.api, port=free_port(), jwt_secret="fuzz-secret-" + "x" * 32),
        stream=replace(settings.stream, web_port=free_port()),
    )


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def good_events(count: int, now_ms: int) -> list[dict[str, Any]]:
    """JSON events of tenant ``acme`` spread over the last two days (UTC, the default zone)."""
    types = list(COUNTED)
    return [
        {
            "event_id": str(uuid.uuid4()),
            "tenant_id": GOOD_TENANT,
            "event_type": types[i % len(types)],
            "occurred_at": iso(now_ms - 3_600_000 - i * 170_000_000 // count),
            "message_id": f"m{i}",
            "channel": CHANNELS[i % 2],
            "direction": "outbound",
            "sender_type": "agent",
        }
        for i in range(count)
    ]


def expected_days(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """UTC day start (ISO) → the counters the API must report for ``events``."""
    days: dict[str, Counter[str]] = {}
    for event in events:
        at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
        day = at.replace(hour=0, minute=0, second=0, microsecond=0).isoformat()
        days.setdefault(day, Counter())[COUNTED[event["event_type"]]] += 1
    return {day: {c: counts[c] for c in COUNTED.values()} for day, counts in days.items()}


@dataclass
class FuzzRun:
    """A pipeline whose domain topics receive good events interleaved with bad messages."""

    pipeline: Pipeline
    good: list[dict[str, Any]]
    bad: int = 0

    @classmethod
    def start(cls, settings: Settings, workdir: Path, good: list[dict[str, Any]]) -> FuzzRun:
        pipeline = Pipeline(fuzz_settings(settings), workdir)
        pulse(pipeline.settings, "topics", "apply")
        return cls(pipeline, good)

    def publish(self, bad: list[bytes | None]) -> None:
        """The good events, and each bad message to a domain topic in turn, interleaved."""
        settings = self.pipeline.settings
        producer = Producer(
            {
                "bootstrap.servers": settings.kafka.bootstrap_servers,
                "message.max.bytes": PRODUCER_MAX_BYTES,
                "linger.ms": 20,
            }
        )
        encoder, router = EventEncoder(CATALOG), default_router()
        step = max(1, len(bad) // max(1, len(self.good)))
        good = iter(self.good)
        for i, value in enumerate(bad):
            if i % step == 0:
                self._send_good(producer, encoder, router, next(good, None))
            topic = settings.topic(DOMAIN_TOPICS[i % len(DOMAIN_TOPICS)])
            _produce(producer, topic, f"fuzz:{i}".encode(), value)
        for event in good:
            self._send_good(producer, encoder, router, event)
        assert producer.flush(120) == 0
        self.bad += len(bad)

    def _send_good(
        self, producer: Producer, encoder: EventEncoder, router: Any, event: dict[str, Any] | None
    ) -> None:
        if event is None:
            return
        logical = validate(event)
        topic = self.pipeline.settings.topic(router.topic_for(event["event_type"]))
        _produce(producer, topic, router.key_for(logical), encoder.encode(logical))

    def run_until_caught_up(self) -> None:
        self.pipeline.serve.start()
        self.pipeline.worker.start()
        self.pipeline.wait_api()
        self.pipeline.wait_caught_up()
        self.pipeline.worker.assert_alive()
        self.pipeline.serve.assert_alive()

    def api_days(self) -> dict[str, dict[str, int]]:
        """The API's day buckets with events of the good tenant over the last 40 days."""
        now = datetime.now(UTC)
        window = {
            "from": (now - timedelta(days=40)).isoformat(),
            "to": (now + timedelta(days=1)).isoformat(),
        }
        body = self.pipeline.graphql(GOOD_TENANT, DAY_QUERY, window)
        assert "errors" not in body, body
        # Every day of the grid is answered; the days compared are those with events.
        return {
            datetime.fromisoformat(b["start"]).astimezone(UTC).isoformat(): {
                c: b[c] for c in COUNTED.values()
            }
            for b in body["data"]["messagingMetrics"]["buckets"]
            if any(b[c] for c in COUNTED.values())
        }

    def dlq_letters(self) -> list[Any]:
        """Every message of the four dead-letter topics."""
        return read_topics(
            self.pipeline.settings,
            [self.pipeline.settings.topic(f"{t}.dlq") for t in DOMAIN_TOPICS],
        )

    def stored(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The raw events and dead-letter rows in ClickHouse (call after :meth:`stop`)."""
        settings = self.pipeline.settings
        client = connect(settings.clickhouse)
        db = settings.clickhouse.database
        try:
            raw = client.query(
                "SELECT tenant_id, toString(event_id) AS event_id,"
                f" toUnixTimestamp64Milli(occurred_at) AS at FROM {db}.events_raw FINAL"
            )
            letters = client.query(f"SELECT code, field, reason FROM {db}.dead_letters")
        finally:
            client.close()
        return raw, letters

    def stop(self) -> None:
        self.pipeline.stop()

    def assert_good_data_unchanged(self, raw: list[dict[str, Any]]) -> None:
        """events_raw holds exactly the good events, at their own instants."""
        want = {(e["tenant_id"], e["event_id"]): _ms(e["occurred_at"]) for e in self.good}
        got = {(r["tenant_id"], r["event_id"]): int(r["at"]) for r in raw}
        assert len(raw) == len(got), "a raw event is stored twice"
        assert got == want


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _produce(producer: Producer, topic: str, key: bytes, value: bytes | None) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key)
            return
        except BufferError:
            producer.poll(0.1)


def read_topics(settings: Settings, topics: list[str]) -> list[Any]:
    """Every committed message of ``topics``, read from the start to the current end."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": f"fuzz-reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "fetch.message.max.bytes": 2 * PRODUCER_MAX_BYTES,
        }
    )
    parts = [
        TopicPartition(topic, p, 0)
        for topic in topics
        for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions
    ]
    ends = {(p.topic, p.partition): consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts}
    consumer.assign(parts)
    out: list[Any] = []
    done = {tp for tp, end in ends.items() if end == 0}
    deadline = time.monotonic() + 120
    while len(done) < len(parts) and time.monotonic() < deadline:
        msg = consumer.poll(2)
        if msg is None or msg.error() is not None:
            continue
        out.append(msg)
        if msg.offset() + 1 >= ends[(msg.topic(), msg.partition())]:
            done.add((msg.topic(), msg.partition()))
    consumer.close()
    return out


def letter_headers(message: Any) -> dict[str, str]:
    return {k: (v or b"").decode(errors="replace") for k, v in message.headers() or []}


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
