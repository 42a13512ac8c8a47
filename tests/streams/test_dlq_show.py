"""`pulse dlq show`'s rendering: the decoded event when it decodes, else a prefix of the bytes."""

from __future__ import annotations

import base64

from pulse.avro.codec import EventDecoder, EventEncoder
from pulse.avro.schemas import SchemaCatalog
from pulse.streams.dlq_letters import Letter, LetterId
from pulse.streams.dlq_show import render

ID = LetterId("p.events.contacts.dlq", 0, 3)
EVENT = {
    "event_id": "e-1",
    "tenant_id": "acme",
    "event_type": "contact.created",
    "occurred_at": 1_700_000_000_000,
    "contact_id": "k1",
}


def shown(value: bytes, headers: list[tuple[str, bytes | None]]) -> str:
    letter = Letter.from_message(ID, b"acme:k1", value, headers, 1_700_000_000_000, ".dlq")
    return "\n".join(render(letter, EventDecoder(SchemaCatalog())))


def test_a_decodable_payload_is_shown_as_its_event() -> None:
    """The event the worker refused is printed field by field, with every header."""
    text = shown(
        EventEncoder(SchemaCatalog()).encode(EVENT), [("pulse.error.code", b"from_future")]
    )
    assert "event (decoded)" in text
    assert '"contact_id": "k1"' in text
    assert "pulse.error.code: from_future" in text
    assert "key           acme:k1" in text


def test_bytes_that_do_not_decode_are_shown_with_the_reason_and_a_prefix() -> None:
    """Garbage shows the decoder's complaint and the bytes in hex and base64."""
    text = shown(b"\x07garbage", [("pulse.error.code", b"decode_error")])
    assert "payload does not decode: unknown magic byte 0x07" in text
    assert "07676172626167" in text
    assert base64.b64encode(b"\x07garbage").decode() in text


def test_a_truncated_payload_is_not_decoded_and_says_it_cannot_be_replayed() -> None:
    """A stored prefix is never decoded (it would mislead) and is flagged as not replayable."""
    headers = [("pulse.payload.truncated", b"true"), ("pulse.payload.bytes", b"9000000")]
    text = shown(EventEncoder(SchemaCatalog()).encode(EVENT)[:20], headers)
    assert "9000000 bytes" in text
    assert "cannot be replayed" in text
    assert "event (decoded)" not in text
    assert "payload (first 20 of 20 stored bytes)" in text
