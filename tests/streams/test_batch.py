"""The batch stage in memory: what it admits, what it dead-letters, and what it remembers."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from pulse.avro.codec import EventDecoder, EventEncoder
from pulse.avro.instants import InstantBounds
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import ContractSettings, StreamSettings
from pulse.streams.batch import BatchHandler, Incoming
from pulse.streams.deadletter import ROW_PAYLOAD_MAX_BYTES, VALUE_MAX_BYTES, DeadLetter
from pulse.streams.dedup import SeenIndex, digest
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
    """The ``seen`` table, with the deletions (changelog tombstones) it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.deleted: list[str] = []

    def put(self, key: str, value: Any) -> None:
        self[key] = value

    def delete(self, key: str) -> None:
        self.pop(key, None)
        self.deleted.append(key)


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


def handler(handoff: Handoff, stream: StreamSettings | None = None) -> BatchHandler:
    return BatchHandler(
        EventDecoder(CATALOG),
        stream or StreamSettings(),
        InstantBounds.from_settings(ContractSettings()),
        handoff,  # type: ignore[arg-type]
        SeenIndex(),
    )


def incoming(*values: bytes, timestamp_ms: int = NOW, first_offset: int = 0) -> list[Incoming]:
    return [
        Incoming(b"acme:c-1", value, SourceRecord(TOPIC, 0, first_offset + n, timestamp_ms))
        for n, value in enumerate(values)
    ]


def run(*values: bytes, timestamp_ms: int = NOW) -> Handoff:
    handoff = Handoff()
    handler(handoff).handle(incoming(*values, timestamp_ms=timestamp_ms), Table(), NOW)
    return handoff


def encode(event: dict[str, Any]) -> bytes:
    return EventEncoder(CATALOG).encode(event)


def test_instants_out_of_bounds_are_dead_letters_and_derive_nothing() -> None:
    """Microseconds, year 2350 and a negative epoch become letters; the good event is a row."""
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
    assert set(handoff.rows) == {"events_raw", "dead_letters"}


def test_an_event_whose_row_would_not_fit_the_handoff_is_too_large() -> None:
    """A valid event of ~520 kB of control characters (JSON writes each as six bytes) is a
    too_large letter, not a crash."""
    filler = "\x01" * 1020
    huge = message_sent(attributes={f"{i:04}{filler}": filler + "abcd" for i in range(256)})
    handoff = run(encode(huge))
    (row,) = handoff.rows["dead_letters"]
    assert row["code"] == "too_large"
    assert "events_raw" not in handoff.rows


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


def test_an_event_years_older_than_its_broker_timestamp_is_a_raw_row() -> None:
    """No late horizon: anything within the contract's instant bounds is accepted."""
    old = message_sent(occurred_at=946_684_800_000)  # 2000-01-01, the contract's floor
    handoff = run(encode(old))
    assert [r["event_id"] for r in handoff.rows["events_raw"]] == [old["event_id"]]
    assert "dead_letters" not in handoff.rows


def test_duplicates_give_one_row_and_the_batch_one_segment_of_digests() -> None:
    """A copy in the same batch or a later one is dropped; each batch writes one seen segment."""
    first, second = message_sent(), message_sent()
    handoff, seen = Handoff(), Table()
    stage = handler(handoff)
    stage.handle(incoming(encode(first), encode(first), encode(second)), seen, NOW)
    stage.handle(incoming(encode(second), first_offset=3), seen, NOW)
    ids = [r["event_id"] for r in handoff.rows["events_raw"]]
    assert ids == [first["event_id"], second["event_id"]]
    assert list(seen) == [f"{TOPIC}:0:0:0"]
    assert digest("acme", first["event_id"]) in stage.seen


def test_each_batch_expires_a_bounded_number_of_segments_past_the_horizon() -> None:
    """Old segments of the batch's partition are deleted (tombstoned) a few per batch."""
    handoff, seen = Handoff(), Table()
    stage = handler(handoff, StreamSettings(dedup_horizon_seconds=60))
    for n in range(6):  # six batches, six segments, all seen at NOW
        stage.handle(incoming(encode(message_sent()), first_offset=n), seen, NOW)
    later = NOW + 61_000
    stage.handle(incoming(encode(message_sent()), first_offset=6), seen, later)
    assert seen.deleted == [f"{TOPIC}:0:{n}:0" for n in range(4)]
    copy = encode(message_sent(event_id=handoff.rows["events_raw"][-1]["event_id"]))
    stage.handle(incoming(copy, first_offset=7), seen, later)  # nothing new: still expires
    assert len(seen.deleted) == 6 and list(seen) == [f"{TOPIC}:0:6:0"]
