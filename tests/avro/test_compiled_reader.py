"""Compiled readers read every schema's bodies exactly as fastavro does, and refuse garbage."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.avro.compiled_reader import MalformedBodyError, Reader, compile_reader
from pulse.avro.schemas import SchemaVersion, without_logical_types
from tests.avro.strategies import ALL_VERSIONS, events

IDS = [f"{v.event_type}-v{v.version}" for v in ALL_VERSIONS]
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compiled(version: SchemaVersion) -> Reader:
    reader = compile_reader(without_logical_types(version.raw))
    assert reader is not None, f"{version.event_type} v{version.version} does not compile"
    return reader


def body(version: SchemaVersion, event: dict[str, Any]) -> bytes:
    out = BytesIO()
    schemaless_writer(out, version.reading, event)
    return out.getvalue()


def fastavro_read(version: SchemaVersion, data: bytes) -> tuple[Any, int]:
    stream = BytesIO(data)
    return schemaless_reader(stream, version.reading, None), stream.tell()


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=IDS)
def test_every_schema_compiles_and_reads_as_fastavro_does(version: SchemaVersion) -> None:
    """For every committed schema, a compiled read equals fastavro's, value and length."""
    reader = compiled(version)

    @FAST
    @given(events(version), st.binary(max_size=3))
    def check(event: dict[str, Any], prefix: bytes) -> None:
        data = body(version, event)
        assert reader(prefix + data, len(prefix)) == (
            fastavro_read(version, data)[0],
            len(prefix) + len(data),
        )

    check()


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=IDS)
def test_damaged_bodies_are_refused_or_read_as_fastavro_reads_them(version: SchemaVersion) -> None:
    """A valid body with a byte changed, or cut short, or random bytes: the compiled reader
    raises a ValueError or IndexError, or reads what fastavro reads, to the same end."""
    reader = compiled(version)

    @FAST
    @given(events(version), st.integers(min_value=0), st.integers(0, 255), st.binary(max_size=40))
    def check(event: dict[str, Any], at: int, byte: int, noise: bytes) -> None:
        data = bytearray(body(version, event))
        data[at % len(data)] = byte
        for damaged in (bytes(data), bytes(data[: at % len(data)]), noise):
            try:
                record, end = reader(damaged, 0)
            except (ValueError, IndexError):
                continue
            assert fastavro_read(version, damaged) == (record, end)

    check()


def test_a_block_count_past_the_body_is_refused_at_once() -> None:
    """A map claiming 2**60 entries in a short body is malformed, not a long loop."""
    schema = {"type": "record", "name": "r", "fields": [{"name": "m", "type": MAP}]}
    reader = compile_reader(schema)
    assert reader is not None
    count = (2**60) << 1  # zig-zag
    varint = bytearray()
    while count >= 0x80:
        varint.append(count & 0x7F | 0x80)
        count >>= 7
    varint.append(count)
    with pytest.raises(MalformedBodyError):
        reader(bytes(varint) + b"\x02a\x02b\x00", 0)


MAP = {"type": "map", "values": "string"}


@pytest.mark.parametrize(
    "field_type",
    [
        "bytes",
        "double",
        {"type": "record", "name": "inner", "fields": []},
        {"type": "map", "values": "long"},
        "pulse.events.Direction",
    ],
)
def test_types_only_fastavro_reads_get_no_compiled_reader(field_type: Any) -> None:
    """Schemas with other types are left to fastavro: compile_reader returns None."""
    schema = {"type": "record", "name": "r", "fields": [{"name": "x", "type": field_type}]}
    assert compile_reader(schema) is None


def test_fill_and_drop_read_a_writer_into_another_field_set() -> None:
    """Dropped fields are read past and left out; filled ones take their default, and a
    container default is a new one in every record."""
    schema = {
        "type": "record",
        "name": "r",
        "fields": [{"name": "a", "type": "string"}, {"name": "old", "type": "long"}],
    }
    reader = compile_reader(schema, fill=(("tags", []), ("b", None)), drop=("old",))
    assert reader is not None
    data = b"\x02x\x04"  # a="x", old=2
    first, end = reader(data, 0)
    second, _ = reader(data, 0)
    assert (first, end) == ({"a": "x", "tags": [], "b": None}, 3)
    first["tags"].append("t")
    assert second["tags"] == []
