"""Events to Avro bytes and back, in either wire format.

- Without a registry: Avro single-object encoding, ``C3 01`` + the writer schema's 8-byte
  little-endian CRC-64-AVRO fingerprint + the body. The fingerprint finds the writer schema in
  the catalog.
- With a registry: the Confluent wire format, ``00`` + 4-byte big-endian schema id + the body
  (subjects: :mod:`pulse.avro.registry`).

The decoder reads both, whatever it is configured with, by sniffing the first byte. Bodies are
read with the writer's schema resolved to the latest version of the type, so every decoded event
has the latest field set, in the logical form of :func:`pulse.avro.contract.validate` (schemas
are read without logical types: ``occurred_at`` is already int ms, ``event_id`` a string). Any
malformed input raises :class:`DecodeError`, never another error.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError

from pulse.avro.errors import DecodeError, EncodeError
from pulse.avro.registry import ReadPlan, RegistrySchemas
from pulse.avro.schemas import SchemaCatalog, SchemaVersion

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"
_SINGLE_HEADER = len(SINGLE_OBJECT_MAGIC) + 8
_CONFLUENT_HEADER = len(CONFLUENT_MAGIC) + 4
_ID = struct.Struct(">I")

# What fastavro raises on bytes that are not a body of the schema (found by fuzzing).
_BODY_ERRORS = (
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    MemoryError,
    struct.error,
    SchemaResolutionError,
)
# What fastavro raises on an event that does not fit the schema it is written with.
_FIT_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, struct.error)


class EventEncoder:
    """Logical events to bytes: single-object encoding, or Confluent framing with a registry.

    The writer schema is the version named by the event's ``schema_version`` (default 1). The
    encoder checks only that the event fits the schema; the §4 rules are the contract's job.
    """

    def __init__(self, catalog: SchemaCatalog, registry: Any | None = None) -> None:
        self._catalog = catalog
        self._registry = RegistrySchemas(registry, catalog) if registry is not None else None

    def encode(self, event: Mapping[str, Any]) -> bytes:
        version = self._writer_of(event)
        if self._registry is None:
            header = SINGLE_OBJECT_MAGIC + version.fingerprint
        else:
            header = CONFLUENT_MAGIC + _ID.pack(self._registry.id_of(version))
        out = BytesIO()
        out.write(header)
        try:
            schemaless_writer(out, version.parsed, event)
        except _FIT_ERRORS as exc:
            raise EncodeError(
                f"{version.event_type} v{version.version} cannot hold this event: {exc}",
                reason="does_not_fit",
                event_type=version.event_type,
            ) from exc
        return out.getvalue()

    def _writer_of(self, event: Mapping[str, Any]) -> SchemaVersion:
        event_type = event.get("event_type")
        version = event.get("schema_version")
        if not isinstance(event_type, str):
            raise EncodeError("an event needs a string event_type", reason="no_event_type")
        if version is None:
            version = 1
        if type(version) is not int:
            raise EncodeError("schema_version must be an int", reason="bad_schema_version")
        return self._catalog.get(event_type, version)


class EventDecoder:
    """Bytes in either wire format to logical events (latest field set of their type)."""

    def __init__(self, catalog: SchemaCatalog, registry: Any | None = None) -> None:
        self._registry = RegistrySchemas(registry, catalog) if registry is not None else None
        # Keyed by the whole single-object header (magic + fingerprint): the usual message costs
        # one slice and one lookup before its body is read.
        self._by_header: dict[bytes, ReadPlan] = {
            SINGLE_OBJECT_MAGIC + v.fingerprint: ReadPlan.for_version(
                v, catalog.latest(v.event_type)
            )
            for v in catalog
        }

    def decode(self, data: bytes | None) -> dict[str, Any]:
        """One event from ``data`` (None, as a Kafka tombstone, is malformed too)."""
        if not data:
            raise DecodeError("empty message", reason="empty")
        if type(data) is not bytes:
            data = bytes(data)  # a bytearray or memoryview: the readers slice and hash bytes
        plan = self._by_header.get(data[:_SINGLE_HEADER])
        if plan is not None:
            return _read(data, _SINGLE_HEADER, plan)
        if data[:2] == SINGLE_OBJECT_MAGIC:
            if len(data) < _SINGLE_HEADER:
                raise DecodeError("truncated single-object header", reason="truncated")
            fingerprint = bytes(data[2:_SINGLE_HEADER])
            raise DecodeError(
                f"no schema has fingerprint {fingerprint.hex()}",
                reason="unknown_fingerprint",
                fingerprint=fingerprint.hex(),
            )
        if data[:1] == CONFLUENT_MAGIC:
            if len(data) < _CONFLUENT_HEADER:
                raise DecodeError("truncated Confluent header", reason="truncated")
            (schema_id,) = _ID.unpack_from(data, 1)
            if self._registry is None:
                raise DecodeError(
                    f"Confluent-framed message (schema id {schema_id}) but no registry",
                    reason="no_registry",
                    schema_id=schema_id,
                )
            return _read(data, _CONFLUENT_HEADER, self._registry.plan_of(schema_id))
        raise DecodeError(f"unknown magic byte 0x{data[0]:02x}", reason="bad_magic")

    def decode_many(self, values: Iterable[bytes | None]) -> list[dict[str, Any] | DecodeError]:
        """Each value decoded, or the :class:`DecodeError` it raised, in order."""
        out: list[dict[str, Any] | DecodeError] = []
        for value in values:
            try:
                out.append(self.decode(value))
            except DecodeError as exc:
                out.append(exc)
        return out


def _read(data: bytes, offset: int, plan: ReadPlan) -> dict[str, Any]:
    record: Any
    try:
        if plan.compiled is not None:
            record, end = plan.compiled(data, offset)
        else:
            body = BytesIO(data)
            body.seek(offset)
            record = schemaless_reader(body, plan.writer, plan.reader)
            end = body.tell()
    except _BODY_ERRORS as exc:
        raise DecodeError(
            f"body is not a {plan.event_type} record: {type(exc).__name__}: {exc}",
            reason="bad_body",
            event_type=plan.event_type,
        ) from exc
    if end != len(data):
        raise DecodeError(
            f"{len(data) - end} bytes after the {plan.event_type} record",
            reason="trailing_bytes",
            event_type=plan.event_type,
        )
    if plan.compiled is None:
        if not isinstance(record, dict):
            raise DecodeError("body is not a record", reason="bad_body")
        if plan.fill or plan.drop:
            record = plan.patch(record)
    # The schema names the type; a body claiming another would be counted as that other.
    if record["event_type"] != plan.event_type:
        raise DecodeError(
            f"a {plan.event_type} record says event_type {str(record['event_type'])[:100]!r}",
            reason="event_type_mismatch",
            event_type=plan.event_type,
        )
    return record  # type: ignore[no-any-return]
