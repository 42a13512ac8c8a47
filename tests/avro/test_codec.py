"""Encoding and decoding events in both wire formats."""

from __future__ import annotations

import json
import struct
from io import BytesIO
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.avro.codec import EventDecoder, EventEncoder
from pulse.avro.contract import check_decoded
from pulse.avro.errors import ContractError, DecodeError, EncodeError, UnknownSchemaError
from pulse.avro.registry import registry_client, subject_of
from pulse.avro.schemas import SchemaVersion
from pulse.errors import ServiceUnavailableError
from tests.avro.strategies import ALL_VERSIONS, CATALOG, as_latest, events

REGISTRY = registry_client("mock://codec-tests")
PLAIN_ENCODER, PLAIN_DECODER = EventEncoder(CATALOG), EventDecoder(CATALOG)
FRAMED_ENCODER, FRAMED_DECODER = EventEncoder(CATALOG, REGISTRY), EventDecoder(CATALOG, REGISTRY)
IDS = [f"{v.event_type}-v{v.version}" for v in ALL_VERSIONS]
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "0b0b3c3e-5f4e-4c38-9b1e-2f1d7c1e9a10",
        "tenant_id": "acme",
        "event_type": "contact.created",
        "occurred_at": 1_700_000_000_000,
        "schema_version": 1,
        "attributes": {},
        "tags": [],
        "contact_id": "c-1",
    }
    return {**base, **overrides}


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=IDS)
def test_single_object_round_trip(version: SchemaVersion) -> None:
    """Every schema version's events survive single-object encoding, in the latest field set."""

    @FAST
    @given(events(version))
    def check(event: dict[str, Any]) -> None:
        data = PLAIN_ENCODER.encode(event)
        assert data[:2] == b"\xc3\x01" and data[2:10] == version.fingerprint
        decoded = PLAIN_DECODER.decode(data)
        assert decoded == as_latest(event)
        assert check_decoded(decoded) == as_latest(event)

    check()


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=IDS)
def test_confluent_round_trip(version: SchemaVersion) -> None:
    """Every schema version's events survive the Confluent wire format through a registry."""

    @FAST
    @given(events(version))
    def check(event: dict[str, Any]) -> None:
        data = FRAMED_ENCODER.encode(event)
        assert data[0] == 0
        assert FRAMED_DECODER.decode(data) == as_latest(event)

    check()


def test_decoder_sniffs_either_format() -> None:
    """A decoder with a registry also reads single-object bytes, and both give the same event."""
    event = _event()
    assert FRAMED_DECODER.decode(PLAIN_ENCODER.encode(event)) == event
    assert FRAMED_DECODER.decode(FRAMED_ENCODER.encode(event)) == event


def test_registry_subject_is_per_event_type() -> None:
    """Schemas are registered under ``<event_type>-value``, one version per schema version."""
    registry = registry_client("mock://subjects")
    encoder = EventEncoder(CATALOG, registry)
    for version in (1, 2):
        encoder.encode(_event(event_type="message.sent", schema_version=version, **_message()))
    assert registry is not None
    assert sorted(registry.get_versions(subject_of("message.sent"))) == [1, 2]


def test_confluent_decoder_reads_a_newer_writer_schema() -> None:
    """A version the catalog lacks (registered by a newer producer) is read into our latest."""
    registry = registry_client("mock://newer")
    assert registry is not None
    newer = json.loads(CATALOG.latest("contact.created").text)
    newer["fields"].append({"name": "source", "type": ["null", "string"], "default": None})
    schema_id = registry.register_schema("contact.created-value", Schema(json.dumps(newer), "AVRO"))
    body = BytesIO()
    schemaless_writer(body, parse_schema(newer), {**_event(), "source": "import"})
    data = b"\x00" + struct.pack(">I", schema_id) + body.getvalue()
    assert EventDecoder(CATALOG, registry).decode(data) == _event()


def _message() -> dict[str, Any]:
    return {"message_id": "m", "channel": "sms", "direction": "outbound", "sender_type": "bot"}


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_only_raise_decode_error(data: bytes) -> None:
    """Arbitrary bytes decode to an event or raise DecodeError, nothing else."""
    for decoder in (PLAIN_DECODER, FRAMED_DECODER):
        try:
            decoder.decode(data)
        except DecodeError as exc:
            assert exc.reason


@settings(max_examples=250, deadline=None)
@given(
    st.sampled_from(ALL_VERSIONS).flatmap(lambda v: st.tuples(st.just(v), events(v))),
    st.data(),
)
def test_mangled_bodies_only_raise_decode_error(
    case: tuple[SchemaVersion, dict[str, Any]], data: st.DataObject
) -> None:
    """A real message cut short, extended or with bytes flipped never escapes DecodeError."""
    _, event = case
    good = bytearray(PLAIN_ENCODER.encode(event))
    cut = data.draw(st.integers(0, len(good)))
    mangled = [bytes(good[:cut]), bytes(good) + data.draw(st.binary(min_size=1, max_size=4))]
    if len(good) > 10:
        at = data.draw(st.integers(10, len(good) - 1))
        good[at] = data.draw(st.integers(0, 255))
        mangled.append(bytes(good))
    for value in mangled:
        try:
            PLAIN_DECODER.decode(value)
        except DecodeError as exc:
            assert exc.reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (None, "empty"),
        (b"\x07garbage", "bad_magic"),
        (b"\xc3\x01\x01\x02", "truncated"),
        (b"\xc3\x01" + b"\x07" * 8 + b"\x02", "unknown_fingerprint"),
        (b"\x00\x00\x01", "truncated"),
        (b"\x00\x00\x00\x00\x01\x02", "no_registry"),
    ],
)
def test_malformed_reasons(data: bytes | None, reason: str) -> None:
    """Each kind of malformed header raises DecodeError with its own reason."""
    with pytest.raises(DecodeError) as caught:
        PLAIN_DECODER.decode(data)
    assert caught.value.reason == reason


def test_trailing_and_truncated_bodies() -> None:
    """Bytes after the record, or a record cut short, are malformed."""
    data = PLAIN_ENCODER.encode(_event())
    for bad, reason in ((data + b"\x00", "trailing_bytes"), (data[:-3], "bad_body")):
        with pytest.raises(DecodeError) as caught:
            PLAIN_DECODER.decode(bad)
        assert caught.value.reason == reason


@pytest.mark.parametrize("decoder", [PLAIN_DECODER, FRAMED_DECODER], ids=["single", "framed"])
def test_a_body_claiming_another_event_type_is_malformed(decoder: EventDecoder) -> None:
    """A contact.created record whose event_type says message.sent is not counted as one."""
    version = CATALOG.latest("contact.created")
    body = BytesIO()
    schemaless_writer(body, parse_schema(version.raw), _event(event_type="message.sent"))
    if decoder is PLAIN_DECODER:
        data = b"\xc3\x01" + version.fingerprint + body.getvalue()
    else:
        schema_id = REGISTRY.register_schema(
            subject_of("contact.created"), Schema(json.dumps(version.raw), "AVRO")
        )
        data = b"\x00" + struct.pack(">I", schema_id) + body.getvalue()
    with pytest.raises(DecodeError) as caught:
        decoder.decode(data)
    assert caught.value.reason == "event_type_mismatch"


def test_unknown_schema_id_is_a_decode_error() -> None:
    """A Confluent id the registry does not know raises DecodeError(unknown_schema_id)."""
    with pytest.raises(DecodeError) as caught:
        FRAMED_DECODER.decode(b"\x00\x00\x0f\x42\x40\x02")
    assert caught.value.reason == "unknown_schema_id"


def test_decode_many_keeps_order_and_errors() -> None:
    """The batch API returns each event or its DecodeError, in input order."""
    good = PLAIN_ENCODER.encode(_event())
    out = PLAIN_DECODER.decode_many([good, b"\x01", good])
    assert out[0] == _event() == out[2]
    assert isinstance(out[1], DecodeError)


def test_encoder_refuses_what_does_not_fit() -> None:
    """A misshapen event raises EncodeError; an unknown type raises UnknownSchemaError."""
    with pytest.raises(EncodeError):
        PLAIN_ENCODER.encode(_event(contact_id=None))
    with pytest.raises(EncodeError):
        PLAIN_ENCODER.encode(_event(schema_version="1"))
    with pytest.raises(UnknownSchemaError):
        PLAIN_ENCODER.encode(_event(event_type="contact.deleted"))


def test_encoder_leaves_contract_rules_to_the_contract() -> None:
    """An out-of-range score encodes and decodes; check_decoded is what refuses it."""
    event = _event(event_type="csat.submitted", conversation_id="c", score=9)
    decoded = PLAIN_DECODER.decode(PLAIN_ENCODER.encode(event))
    assert decoded["score"] == 9
    with pytest.raises(ContractError) as caught:
        check_decoded(decoded)
    assert (caught.value.field, caught.value.reason) == ("score", "out_of_range")


def test_unreachable_registry_is_an_infrastructure_error() -> None:
    """A registry that cannot be reached raises ServiceUnavailableError, not DecodeError."""
    client = SchemaRegistryClient({"url": "http://127.0.0.1:9", "max.retries": 0})
    decoder = EventDecoder(CATALOG, client)
    with pytest.raises(ServiceUnavailableError):
        decoder.decode(b"\x00\x00\x00\x00\x01\x02")


def test_no_registry_url_means_no_client() -> None:
    """An empty registry URL selects single-object encoding (no client)."""
    assert registry_client("") is None
