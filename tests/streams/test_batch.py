"""The batch stage in memory: what it admits, what it dead-letters, and what it derives."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from pulse.avro.codec import EventDecoder, EventEncoder
from pulse.avro.instants import InstantBounds
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import ContractSettings, StreamSettings
from pulse.streams.batch import BatchHandler, BatchTables, Incoming
from pulse.streams.deadletter import ROW_PAYLOAD_MAX_BYTES, VALUE_MAX_BYTES, DeadLetter
from pulse.streams.dedup import SeenIndex
from pulse.streams.source import SourceRecord

CATALOG = SchemaCatalog()
NOW = 1_796_000_000_000
TOPIC = "pulse.events.conversations"


class Handoff:
    """Collects what the batch stage queues (the real one is a Kafka producer)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.raw: list[tuple[str, bytes | None, bytes, dict[str, bytes]]] = []

    def send_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        self.rows.setdefault(table, []).extend(rows)

    def send_raw(self, topic: str, key: bytes | None, value: bytes, headers: Any) -> None:
        self.raw.append((topic, key, value, dict(headers)))


class Table(dict[str, Any]):
    def put(self, key: str, value: Any) -> None:
        self[key] = value


def message_sent(**fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": "acme",
        "event_type": "message.sent",
        "occurred_at": NOW - 60_000,
        "schema_version": 1,
        "message_id": "m-1",
        "channel": "sms",
        "direction": "outbound",
        "sender_type": "agent",
        "conversation_id": "c-1",
        **fields,
    }


def run(*values: bytes, timestamp_ms: int = NOW) -> Handoff:
    handoff = Handoff()
    handler = BatchHandler(
        EventDecoder(CATALOG),
        lambda _: "UTC",
        StreamSettings(),
        InstantBounds.from_settings(ContractSettings()),
        handoff,  # type: ignore[arg-type]
        SeenIndex(),
    )
    batch = [
        Incoming(b"acme:c-1", value, SourceRecord(TOPIC, 0, offset, timestamp_ms))
        for offset, value in enumerate(values)
    ]
    handler.handle(batch, BatchTables(Table(), Table(), Table()), NOW)
    return handoff


def encode(event: dict[str, Any]) -> bytes:
    return EventEncoder(CATALOG).encode(event)


def test_instants_out_of_bounds_are_dead_letters_and_derive_nothing() -> None:
    """Microseconds, year 2350 and a negative epoch become letters; the good event counts."""
    good = message_sent()
    handoff = run(
        encode(message_sent(occurred_at=NOW * 1000)),
        encode(message_sent(occurred_at=12_000_000_000_000)),
        encode(message_sent(occurred_at=-1)),
        encode(good),
    )
    codes = [row["code"] for row in handoff.rows["dead_letters"]]
    assert codes == ["from_future", "from_future", "too_old"]
    assert [r["event_id"] for r in handoff.rows["events_raw"]] == [good["event_id"]]
    assert {r["sent"] for r in handoff.rows["messaging_counters"]} == {1}


def test_an_event_whose_row_would_not_fit_the_handoff_is_too_large() -> None:
    """A valid event of ~520 kB of control characters (JSON writes each as six bytes) is a
    too_large letter, not a crash."""
    filler = "\x01" * 1020
    huge = message_sent(attributes={f"{i:04}{filler}": filler + "abcd" for i in range(256)})
    handoff = run(encode(huge))
    (row,) = handoff.rows["dead_letters"]
    assert row["code"] == "too_large"
    assert "events_raw" not in handoff.rows
    assert "messaging_counters" not in handoff.rows


def test_a_huge_dead_letter_keeps_a_bounded_prefix_its_length_and_hash() -> None:
    """Letters of oversized payloads stay below the topic's limit and still identify them."""
    payload = b"\xff" * (VALUE_MAX_BYTES * 2)
    source = SourceRecord(TOPIC, 1, 7, NOW)
    letter = DeadLetter(source, b"k" * 100_000, payload, "decode_error", "", "x" * 2_000_000)
    headers = dict(letter.headers())
    assert len(letter.stored_value()) == VALUE_MAX_BYTES
    assert len(letter.stored_key() or b"") < 20_000
    assert headers["pulse.payload.truncated"] == b"true"
    assert headers["pulse.payload.bytes"] == str(len(payload)).encode()
    assert headers["pulse.payload.sha256"] == hashlib.sha256(payload).hexdigest().encode()
    assert sum(len(v) for v in headers.values()) < 4096
    row = letter.row()
    assert len(base64.b64decode(row["payload_b64"])) == ROW_PAYLOAD_MAX_BYTES
    assert row["payload_bytes"] == len(payload)
    assert len(row["reason"]) < 2000


def test_a_small_dead_letter_is_kept_whole_for_replay() -> None:
    """A letter that fits keeps its key and bytes as they came, marked not truncated."""
    letter = DeadLetter(SourceRecord(TOPIC, 0, 1, NOW), b"key", b"\x00bad", "decode_error", "", "")
    assert letter.stored_value() == b"\x00bad"
    assert letter.stored_key() == b"key"
    assert dict(letter.headers())["pulse.payload.truncated"] == b"false"


def test_a_message_without_a_broker_timestamp_is_judged_by_the_clock() -> None:
    """A timestamp of -1 (an old producer) does not make every instant come from the future."""
    good = message_sent()
    handoff = run(encode(good), encode(message_sent(occurred_at=NOW * 1000)), timestamp_ms=-1)
    assert [r["event_id"] for r in handoff.rows["events_raw"]] == [good["event_id"]]
    assert [r["code"] for r in handoff.rows["dead_letters"]] == ["from_future"]
