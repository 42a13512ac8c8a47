"""Helpers for the real-broker worker tests: topics, a workload, the worker subprocess, rows."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer

from pulse.avro.codec import EventEncoder
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import Settings
from pulse.topics.routing import key_for, topic_for
from pulse.topics.tenants import TenantSettings, publish_tenant

REPO = Path(__file__).resolve().parents[2]
T0 = 1_730_592_000_000  # 2024-11-03T00:00:00Z, New York's fall-back day
MIN = 60_000
ZONES = {"t1": "America/New_York", "t2": "UTC"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ANCIENT = 978_307_200_000  # 2001-01-01T00:00:00Z: old, but within the contract's floor


def worker_settings(settings: Settings, **stream: Any) -> Settings:
    return replace(settings, stream=replace(settings.stream, web_port=free_port(), **stream))


def rejected() -> list[dict[str, Any]]:
    """Events that encode but must dead-letter: out of contract, instants in microseconds or
    before the floor."""
    sent = {"message_id": "m-us", "channel": "sms", "direction": "outbound", "sender_type": "agent"}
    return [
        ev("t1", "csat.submitted", T0, conversation_id="c0", score=9),
        ev("t1", "message.sent", T0 * 1000, **sent),
        ev("t2", "contact.created", -86_400_000, contact_id="before-1970"),
    ]


def env_for(settings: Settings) -> dict[str, str]:
    return {**os.environ, **settings.to_env(), "PULSE_LOG_LEVEL": "INFO"}


def prepare_topics(settings: Settings) -> None:
    """`pulse topics apply`, as an operator would, then the tenants' zones."""
    subprocess.run(
        [sys.executable, "-m", "pulse", "topics", "apply"],
        cwd=REPO,
        env=env_for(settings),
        check=True,
        capture_output=True,
        timeout=120,
    )
    for tenant, tz in ZONES.items():
        publish_tenant(settings.kafka, settings.topic("tenants"), tenant, TenantSettings(tz))


def ev(tenant: str, event_type: str, at: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": tenant,
        "event_type": event_type,
        "occurred_at": at,
        **fields,
    }


def workload(conversations: int) -> list[dict[str, Any]]:
    """Conversations with bot and agent replies, receipts, web and contact events, and one
    event decades older than its broker timestamp (no late horizon: it is a raw row too)."""
    events = [ev("t1", "contact.created", ANCIENT, contact_id="ancient")]
    for i in range(conversations):
        tenant = "t1" if i % 3 else "t2"
        conv, created = f"c{i}", T0 + i * 7 * MIN
        channel = ("sms", "email", "whatsapp")[i % 3]
        events.append(
            ev(
                tenant,
                "conversation.created",
                created,
                conversation_id=conv,
                channel=channel,
                priority="high",
            )
        )
        for j, sender in enumerate(("contact", "bot", "agent", "agent")):
            kind = "message.received" if sender == "contact" else "message.sent"
            direction = "inbound" if sender == "contact" else "outbound"
            events.append(
                ev(
                    tenant,
                    kind,
                    created + (j + 1) * (i % 5 + 1) * MIN,
                    conversation_id=conv,
                    message_id=f"m{i}-{j}",
                    channel=channel,
                    direction=direction,
                    sender_type=sender,
                )
            )
        events.append(
            ev(
                tenant,
                "message.delivered",
                created + 90 * MIN,
                message_id=f"m{i}-2",
                conversation_id=conv,
                channel=channel,
                direction="outbound",
                sender_type="agent",
            )
        )
        events.append(
            ev(
                tenant,
                "web.page_view",
                created,
                visitor_id=f"v{i}",
                ip="198.51.100.9",
                dnt=i % 2 == 0,
                url="/pricing",
            )
        )
        events.append(ev(tenant, "contact.created", created, contact_id=f"k{i}"))
    return events


def produce(settings: Settings, events: list[dict[str, Any]], garbage: list[bytes]) -> None:
    encoder = EventEncoder(SchemaCatalog())
    producer = Producer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "partitioner": "murmur2_random",
            "enable.idempotence": True,
        }
    )
    for event in events:
        topic = settings.topic(topic_for(event["event_type"]))
        producer.produce(topic, key=key_for(event), value=encoder.encode(event))
    for raw in garbage:
        producer.produce(settings.topic("events.conversations"), key=b"t1:bad", value=raw)
    assert producer.flush(30) == 0


@dataclass
class Worker:
    settings: Settings
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "pulse", "worker"],
                cwd=REPO,
                env=env_for(self.settings),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def assert_alive(self) -> None:
        assert self.popen is not None
        if self.popen.poll() is not None:
            raise AssertionError(
                f"worker exited {self.popen.returncode}:\n"
                + self.log.read_text(errors="replace")[-4000:]
            )

    def signal(self, sig: signal.Signals) -> int:
        """Sends ``sig`` and returns the exit code. A SIGTERM waits until the worker serves its
        web port: before that its signal handlers may not be installed yet, and it would die by
        the signal instead of stopping (a loaded machine can take seconds to get there)."""
        assert self.popen is not None
        if sig == signal.SIGTERM:
            self.wait_serving()
        self.popen.send_signal(sig)
        return self.popen.wait(timeout=60)

    def wait_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.assert_alive()
            try:
                with socket.create_connection(("127.0.0.1", self.settings.stream.web_port), 1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the worker serves no port after {timeout} s") from None
                time.sleep(0.2)


@dataclass
class RowsReader:
    """Reads the hand-off topic (and the DLQ) from the beginning, accumulating everything."""

    settings: Settings
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dlq: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": self.settings.kafka.bootstrap_servers,
                "group.id": f"reader-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self._consumer.subscribe(
            [self.settings.topic("rows"), self.settings.topic("events.conversations.dlq")]
        )

    def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self._consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            topic, key, value = msg.topic(), msg.key(), msg.value()
            assert topic is not None and key is not None and value is not None
            if topic.endswith(".dlq"):
                self.dlq.append(msg)
                continue
            batch = json.loads(value)
            assert dict(msg.headers() or [])["rows"] == str(len(batch)).encode()
            self.rows.setdefault(key.decode(), []).extend(batch)

    def wait_for(self, worker: Worker, done: Any, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not done(self):
            worker.assert_alive()
            assert time.monotonic() < deadline, (
                f"rows so far: { {k: len(v) for k, v in self.rows.items()} }"
            )
            self.poll(1.0)

    def close(self) -> None:
        self._consumer.close()
