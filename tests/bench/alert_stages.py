"""Where an alert's latency goes, seen from outside the processes (tests/bench/alerts.py).

Each crossing event is stamped, on the bench's monotonic clock, when it becomes visible at
each hand-over between processes, and each stamp reported as the time since its production:

- ``handoff``: its raw row is readable (``read_committed``) on ``pulse.rows``: the worker's
  batch and its transaction's commit;
- ``derived``: the sink announces its tenant on ``<prefix>:live:touched``, after the batch's
  derivations (the evaluator has been woken for raw-event rules before them, after the inserts);
- ``published``: the evaluator's notification is readable on ``alerts.notifications``;
- ``sink_evaluator``: from ``handoff`` to ``published``, trial by trial (what the sink and the
  evaluator add, without the worker's share).

The webhook's receipt is ``alert_latency_*`` itself. The observers are processes' peers on a
loaded machine: a stamp can come a little late, never early.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import defaultdict

import redis
from confluent_kafka import Consumer

from pulse.alerts.wakeup import live_channel
from pulse.settings import Settings

STAGES = ("handoff", "derived", "published")


class StageStamps:
    """Watches the rows topic, the live channel and the notifications topic in threads."""

    def __init__(self, settings: Settings, tenant: str, channel_of: list[bytes]) -> None:
        self._settings = settings
        self._tenant = tenant
        self._channels = channel_of  # the crossing event's channel, per trial, as JSON bytes
        self.at: dict[str, dict[int, float]] = defaultdict(dict)
        self._trial = -1
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._rows, daemon=True),
            threading.Thread(target=self._derived, daemon=True),
            threading.Thread(target=self._published, daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def trial(self, i: int) -> None:
        """The crossing event of trial ``i`` is about to be produced."""
        self._trial = i

    def breakdown(self, produced: list[float]) -> dict[str, float]:
        """The median and p95 (ms) from each crossing's production to each stamp."""
        spans = {stage: [at - produced[i] for i, at in self.at[stage].items()] for stage in STAGES}
        # The sink and the evaluator alone, trial by trial: hand-off to notification.
        spans["sink_evaluator"] = [
            at - self.at["handoff"][i]
            for i, at in self.at["published"].items()
            if i in self.at["handoff"]
        ]
        figures = {}
        for name, values in spans.items():
            ranked = sorted(values)
            if ranked:
                figures[f"alert_{name}_p50_ms"] = round(ranked[len(ranked) // 2] * 1000, 1)
                p95 = ranked[max(0, math.ceil(0.95 * len(ranked)) - 1)]
                figures[f"alert_{name}_p95_ms"] = round(p95 * 1000, 1)
        return figures

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)

    def _consumer(self, topic: str) -> Consumer:
        consumer = Consumer(
            {
                "bootstrap.servers": self._settings.kafka.bootstrap_servers,
                "group.id": f"{self._settings.kafka.topic_prefix}-stages-{topic}",
                "isolation.level": "read_committed",
                "auto.offset.reset": "latest",
                "enable.auto.commit": False,
                # A stamp must not wait for a fetch to fill.
                "fetch.wait.max.ms": 5,
            }
        )
        consumer.subscribe([self._settings.topic(topic)])
        return consumer

    def _rows(self) -> None:
        consumer = self._consumer("rows")
        try:
            while not self._stop.is_set():
                for message in consumer.consume(500, 0.05):
                    if message.error() is not None or message.key() != b"events_raw":
                        continue
                    value = message.value() or b""
                    for i, channel in enumerate(self._channels):
                        if i not in self.at["handoff"] and channel in value:
                            self.at["handoff"][i] = time.monotonic()
        finally:
            consumer.close()

    def _derived(self) -> None:
        client = redis.Redis.from_url(self._settings.redis.url)
        pubsub = client.pubsub()
        pubsub.subscribe(live_channel(self._settings.kafka.topic_prefix))
        try:
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=0.1)
                if message is None or message["type"] != "message":
                    continue
                # The tenant's only events are the trials', one at a time.
                i = self._trial
                if i not in self.at["derived"] and self._tenant in json.loads(message["data"]):
                    self.at["derived"][i] = time.monotonic()
        finally:
            pubsub.close()
            client.close()

    def _published(self) -> None:
        consumer = self._consumer("alerts.notifications")
        try:
            while not self._stop.is_set():
                for message in consumer.consume(10, 0.05):
                    if message.error() is None:
                        rule = (message.key() or b"").decode().rsplit("bench", 1)[-1]
                        self.at["published"].setdefault(int(rule), time.monotonic())
        finally:
            consumer.close()
