"""The worker's memory after remembering 2M events: ``worker_rss_mb`` of ``make bench``.

Run as ``python -m tests.bench.worker_memory`` (a process of its own, so its RSS is the worker's
alone); it prints one JSON line. It builds the worker's Faust app (so every module the worker
loads is loaded) and drives the batch stage, the worker's own ``BatchHandler``, with the app's
real ``seen`` table, batch by batch as the agent does: Avro bytes → decode → validate → dedup →
raw rows (handed to a sink that drops them). The 2M events arrive over the 30 days of the dedup
horizon, so the table ends holding every one of them, the most it ever holds at that rate.
Kafka is left out: fetch buffers and the hand-off producer's queue are bounded by settings,
not by the number of events remembered.
"""

from __future__ import annotations

import gc
import json
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pulse.avro.codec import EventDecoder, EventEncoder
from pulse.avro.instants import InstantBounds
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import Settings
from pulse.streams.app import create_app
from pulse.streams.batch import BatchHandler, Incoming
from pulse.streams.dedup import SeenIndex
from pulse.streams.source import SourceRecord
from pulse.streams.state import FaustPartitionTable

EVENTS = int(os.environ.get("BENCH_WORKER_EVENTS", "2000000"))
BATCH = 5000
PARTITIONS = 4
TOPIC = "bench.events.conversations"
DAY_MS = 24 * 3600 * 1000


class DroppedRows:
    """Stands in for the hand-off producer: rows are counted, not kept."""

    def __init__(self) -> None:
        self.rows = 0

    def send_rows(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        self.rows += len(rows)

    def send_raw(self, topic: str, key: bytes | None, value: bytes, headers: Any) -> None:
        raise AssertionError(f"the bench's events are valid, yet one was dead-lettered: {headers}")


def rss_mb() -> float:
    """The process's resident set now, in MB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def templates(now_ms: int) -> list[tuple[bytes, int]]:
    """Encoded events of a few kinds, and where their 36-character event id sits."""
    encoder = EventEncoder(SchemaCatalog())
    kinds: list[dict[str, Any]] = [
        {"event_type": "message.sent", "sender_type": "agent", "direction": "outbound"},
        {"event_type": "message.delivered", "sender_type": "agent", "direction": "outbound"},
        {"event_type": "message.received", "sender_type": "contact", "direction": "inbound"},
    ]
    out: list[tuple[bytes, int]] = []
    for n, kind in enumerate(kinds):
        event_id = str(uuid.uuid4())
        event = {
            "event_id": event_id,
            "tenant_id": ("acme", "globex")[n % 2],
            "occurred_at": now_ms - 31 * DAY_MS,  # before the first arrival
            "message_id": f"m-{n}",
            "conversation_id": f"c-{n}",
            "channel": "sms",
            **kind,
        }
        encoded = encoder.encode(event)
        out.append((encoded, encoded.index(event_id.encode())))
    return out


def batches(now_ms: int) -> Iterator[tuple[list[Incoming], int]]:
    """Batches of distinct events, one partition each in turn, with their arrival instants."""
    shapes = templates(now_ms)
    count = -(-EVENTS // BATCH)
    start_ms = now_ms - 30 * DAY_MS + DAY_MS  # all within the horizon at the end
    for b in range(count):
        partition, arrived = b % PARTITIONS, start_ms + b * (29 * DAY_MS // count)
        batch: list[Incoming] = []
        for i in range(min(BATCH, EVENTS - b * BATCH)):
            encoded, at = shapes[i % len(shapes)]
            value = encoded[:at] + str(uuid.uuid4()).encode() + encoded[at + 36 :]
            offset = b // PARTITIONS * BATCH + i
            batch.append(Incoming(b"k", value, SourceRecord(TOPIC, partition, offset, arrived)))
        yield batch, arrived


def measure() -> dict[str, float]:
    settings = Settings()
    app = create_app(settings, DroppedRows())  # type: ignore[arg-type]
    seen = app.tables["seen"]
    index, rows = SeenIndex(), DroppedRows()
    decoder = EventDecoder(SchemaCatalog())
    bounds = InstantBounds.from_settings(settings.contract)
    handler = BatchHandler(decoder, settings.stream, bounds, rows, index)  # type: ignore[arg-type]
    now_ms = int(time.time() * 1000)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    for batch, arrived in batches(now_ms):
        handler.handle(batch, FaustPartitionTable(seen, batch[0].source.partition), arrived)
    elapsed = time.perf_counter() - started
    gc.collect()
    after = rss_mb()
    assert rows.rows == EVENTS == len(index), (rows.rows, len(index))
    return {
        "worker_events_remembered": EVENTS,
        "worker_rss_mb": round(after, 1),
        "worker_rss_before_events_mb": round(before, 1),
        "dedup_bytes_per_event": round((after - before) * 1024 * 1024 / EVENTS),
        "worker_batch_stage_events_per_s": round(EVENTS / elapsed),
    }


if __name__ == "__main__":
    print(json.dumps(measure()))
