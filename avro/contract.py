"""The strict event contract of METRICS.md §4, read from the Avro schemas rather than restated.

Two entry points:

- :func:`validate` takes a JSON-shaped event (HTTP collector, command-line producer) and returns it
  in the pipeline's logical form: the field set of the *latest* schema of its type (fields its
  declared version lacks take their defaults, as Avro schema resolution would), ``occurred_at`` as
  int milliseconds UTC, absent or null optionals as None, ``attributes``/``tags`` defaulted,
  unknown extra fields dropped, ``event_id`` lower-cased.
- :func:`check_decoded` takes what :mod:`pulse.avro.codec` decoded (Avro already enforced the
  types) and applies the rules Avro cannot express: UUID format, ranges, non-empty strings,
  required fields, a catalogued ``event_type``.

Rules come from the .avsc: a union with ``null`` is optional, a ``default`` fills an absent or
null value, ``enum`` symbols are the allowed values, ``pulse.range`` bounds an int, and
``pulse.min_length`` forbids empty strings, ``pulse.max_length`` bounds a string (or each key
and item of a map or array) and ``pulse.max_items`` a map or array: identifiers become keys of the
worker's state and changelog records, and every row must stay well below Kafka's message size.
Types are strict: ``True`` is not an int, ``"5"`` is
not an int, ``4.5`` is not an int, ``"true"`` is not a bool.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from pulse.avro.errors import ContractError
from pulse.avro.schemas import SchemaCatalog, SchemaVersion
from pulse.avro.timestamps import parse_iso_ms

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_INT_BOUNDS = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_NO_DEFAULT = object()


def _fail(name: str, reason: str, detail: str) -> ContractError:
    return ContractError(f"{name}: {detail}", field=name, reason=reason)


@dataclass(frozen=True)
class FieldRule:
    """What one schema field accepts, compiled from its .avsc entry."""

    name: str
    avro_type: Any  # the non-null branch
    nullable: bool
    default: Any  # _NO_DEFAULT when the field is required
    bounds: tuple[int, int] | None
    min_length: int
    max_length: int | None = None
    max_items: int | None = None

    # Cached: check_value reads both for every checked field of every consumed event.
    @cached_property
    def logical(self) -> str | None:
        return self.avro_type.get("logicalType") if isinstance(self.avro_type, dict) else None

    @cached_property
    def base(self) -> str:
        t = self.avro_type
        return str(t["type"]) if isinstance(t, dict) else str(t)

    def absent(self) -> Any:
        """The value of the field when it is absent or null; raises when it is required."""
        if self.default is not _NO_DEFAULT:
            return copy.copy(self.default)
        if self.nullable:
            return None
        raise _fail(self.name, "missing", "required field is absent or null")

    def check_json(self, value: Any) -> Any:
        """``value`` (not None) in logical form, or a ContractError."""
        base, name = self.base, self.name
        if self.logical == "timestamp-millis":
            if not isinstance(value, str):
                raise _fail(name, "wrong_type", "expected an ISO-8601 string")
            ms = parse_iso_ms(value)
            if ms is None:
                raise _fail(name, "bad_timestamp", f"not ISO-8601 with an offset: {value!r}")
            return ms
        if base in _INT_BOUNDS:
            if type(value) is not int:
                raise _fail(name, "wrong_type", f"expected an integer, got {type(value).__name__}")
            low, high = _INT_BOUNDS[base]
            if not low <= value <= high:
                raise _fail(name, "out_of_range", f"{value} does not fit an Avro {base}")
            return self.check_value(value)
        if base == "boolean":
            if type(value) is not bool:
                raise _fail(name, "wrong_type", f"expected a boolean, got {type(value).__name__}")
            return value
        if base == "map":
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise _fail(name, "wrong_type", "expected an object of strings")
            return self.check_value({_utf8(name, k): _utf8(name, v) for k, v in value.items()})
        if base == "array":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _fail(name, "wrong_type", "expected an array of strings")
            return self.check_value([_utf8(name, v) for v in value])
        if not isinstance(value, str):
            raise _fail(name, "wrong_type", f"expected a string, got {type(value).__name__}")
        return self.check_value(_utf8(name, value))

    def check_value(self, value: Any) -> Any:
        """The rules Avro cannot express, on a value of the right Avro type."""
        if self.max_items is not None:
            return self._check_items(value)
        if self.base == "enum" and value not in self.avro_type["symbols"]:
            raise _fail(self.name, "not_in_enum", f"{value!r} is not one of the listed values")
        if self.logical == "uuid":
            if not isinstance(value, str) or _UUID.fullmatch(value) is None:
                raise _fail(self.name, "bad_uuid", f"not a UUID: {value!r}")
            return value.lower()
        if self.bounds is not None and not self.bounds[0] <= value <= self.bounds[1]:
            low, high = self.bounds
            raise _fail(self.name, "out_of_range", f"{value} is outside {low}..{high}")
        if self.min_length and len(value) < self.min_length:
            raise _fail(self.name, "empty", "must not be empty")
        if self.max_length is not None and len(value) > self.max_length:
            raise _fail(
                self.name, "too_long", f"{len(value)} characters, more than {self.max_length}"
            )
        return value

    def _check_items(self, value: Any) -> Any:
        assert self.max_items is not None  # only called for a map or array with a bound
        if len(value) > self.max_items:
            raise _fail(self.name, "too_many", f"{len(value)} entries, more than {self.max_items}")
        if self.max_length is not None and _longest(value) > self.max_length:
            raise _fail(self.name, "too_long", f"an entry is over {self.max_length} characters")
        return value

    @property
    def needs_decoded_check(self) -> bool:
        return (
            self.logical == "uuid"
            or self.bounds is not None
            or self.min_length > 0
            or self.max_length is not None
            or self.max_items is not None
        )


def _longest(value: Any) -> int:
    """The longest key or value of a map, or item of an array, in characters."""
    if isinstance(value, Mapping):
        return max(max(map(len, value), default=0), max(map(len, value.values()), default=0))
    return max(map(len, value), default=0)


def _utf8(name: str, text: str) -> str:
    # Lone surrogates survive JSON parsing but cannot be written as Avro (UTF-8) strings.
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _fail(name, "bad_string", "not encodable as UTF-8") from None
    return text


def compile_field(field: Mapping[str, Any]) -> FieldRule:
    """The rule of one .avsc field entry."""
    avro_type = field["type"]
    nullable = isinstance(avro_type, list) and "null" in avro_type
    if isinstance(avro_type, list):
        (avro_type,) = [t for t in avro_type if t != "null"]
    bounds = field.get("pulse.range")
    return FieldRule(
        name=field["name"],
        avro_type=avro_type,
        nullable=nullable,
        default=field.get("default", _NO_DEFAULT),
        bounds=(int(bounds[0]), int(bounds[1])) if bounds else None,
        min_length=int(field.get("pulse.min_length", 0)),
        max_length=int(field["pulse.max_length"]) if "pulse.max_length" in field else None,
        max_items=int(field["pulse.max_items"]) if "pulse.max_items" in field else None,
    )


@dataclass(frozen=True)
class _Shape:
    """The compiled rules of one schema version, and the latest version's field set."""

    rules: tuple[FieldRule, ...]
    latest: tuple[FieldRule, ...]

    @classmethod
    def of(cls, version: SchemaVersion, latest: SchemaVersion) -> _Shape:
        return cls(
            rules=tuple(compile_field(f) for f in version.raw["fields"]),
            latest=tuple(compile_field(f) for f in latest.raw["fields"]),
        )


@dataclass(frozen=True)
class _DecodedRules:
    """What :meth:`Contract.check_decoded` looks at for one event type (latest schema)."""

    every: tuple[FieldRule, ...]
    names: frozenset[str]
    required: tuple[FieldRule, ...]
    checked: tuple[FieldRule, ...]
    # The same checks as plain data, for :meth:`passes` (every consumed event goes through it).
    required_names: tuple[str, ...]
    uuids: tuple[str, ...]
    min_lengths: tuple[tuple[str, int], ...]
    max_lengths: tuple[tuple[str, int], ...]
    collections: tuple[tuple[str, int, int], ...]
    bounds: tuple[tuple[str, int, int], ...]

    @classmethod
    def of(cls, shape: _Shape) -> _DecodedRules:
        every = shape.latest
        required = tuple(r for r in every if r.default is _NO_DEFAULT and not r.nullable)
        checked = tuple(r for r in every if r.needs_decoded_check)
        return cls(
            every=every,
            names=frozenset(r.name for r in every),
            required=required,
            checked=checked,
            required_names=tuple(r.name for r in required),
            uuids=tuple(r.name for r in checked if r.logical == "uuid"),
            min_lengths=tuple((r.name, r.min_length) for r in checked if r.min_length),
            max_lengths=tuple(
                (r.name, r.max_length)
                for r in checked
                if r.max_length is not None and r.max_items is None
            ),
            collections=tuple(
                (r.name, r.max_items, r.max_length or sys.maxsize)
                for r in checked
                if r.max_items is not None
            ),
            bounds=tuple((r.name, *r.bounds) for r in checked if r.bounds is not None),
        )

    def passes(self, record: dict[str, Any]) -> bool:
        """Whether ``record`` keeps every rule (UUIDs are lower-cased on the way); the rules'
        own checks name the first broken one when it does not."""
        for name in self.required_names:
            if record[name] is None:
                return False
        for name in self.uuids:
            value = record[name]
            if value is not None:
                if type(value) is not str or _UUID.fullmatch(value) is None:
                    return False
                record[name] = value.lower()
        for name, length in self.min_lengths:
            value = record[name]
            if value is not None and len(value) < length:
                return False
        for name, length in self.max_lengths:
            value = record[name]
            if value is not None and len(value) > length:
                return False
        for name, items, length in self.collections:
            value = record[name]
            if value and (len(value) > items or _longest(value) > length):
                return False
        for name, low, high in self.bounds:
            value = record[name]
            if value is not None and not low <= value <= high:
                return False
        return True


class Contract:
    """The §4 validator over one catalog; rules are compiled once per schema version."""

    def __init__(self, catalog: SchemaCatalog) -> None:
        self._catalog = catalog
        self._shapes: dict[tuple[str, int], _Shape] = {}
        self._decoded: dict[str, _DecodedRules] = {}
        for event_type in catalog.event_types():
            latest = catalog.latest(event_type)
            for version in catalog.versions(event_type):
                self._shapes[(event_type, version.version)] = _Shape.of(version, latest)
            self._decoded[event_type] = _DecodedRules.of(self._shapes[(event_type, latest.version)])

    def validate(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """``obj`` in logical form, or a :class:`ContractError` naming the first broken rule."""
        if not isinstance(obj, Mapping):
            raise _fail("", "not_an_object", "an event must be a JSON object")
        event_type = obj.get("event_type")
        if not isinstance(event_type, str):
            reason = "missing" if event_type is None else "wrong_type"
            raise _fail("event_type", reason, "expected an event type string")
        version = obj.get("schema_version")
        version = 1 if version is None else version
        if type(version) is not int:
            raise _fail("schema_version", "wrong_type", "expected an integer")
        shape = self._shapes.get((event_type, version))
        if shape is None:
            raise self._unknown(event_type, version)
        checked: dict[str, Any] = {}
        for rule in shape.rules:
            value = obj.get(rule.name)
            checked[rule.name] = rule.absent() if value is None else rule.check_json(value)
        checked["schema_version"] = version
        return {r.name: checked[r.name] if r.name in checked else r.absent() for r in shape.latest}

    def check_decoded(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` after the rules Avro cannot express (updated in place and returned);
        fields of the latest schema that it lacks take their defaults."""
        compiled = self._rules_of(record)
        if not compiled.names <= record.keys():
            for rule in compiled.every:
                if rule.name not in record:
                    record[rule.name] = rule.absent()
        return self.check_complete(record)

    def check_complete(self, record: dict[str, Any]) -> dict[str, Any]:
        """:meth:`check_decoded` for a record that has the latest field set of its type, as
        :class:`~pulse.avro.codec.EventDecoder` returns them: the field set is not compared (a
        fifth of the check's cost). A record lacking a field the rules read still gets
        :meth:`check_decoded`; one lacking another field is returned without it."""
        compiled = self._rules_of(record)
        try:
            if compiled.passes(record):
                return record
        except KeyError:
            return self.check_decoded(record)
        return self._by_rule(compiled, record)

    def _rules_of(self, record: dict[str, Any]) -> _DecodedRules:
        event_type = record.get("event_type")
        compiled = self._decoded.get(event_type) if isinstance(event_type, str) else None
        if compiled is None:
            raise _fail("event_type", "unknown_event_type", f"not in the catalogue: {event_type!r}")
        return compiled

    @staticmethod
    def _by_rule(compiled: _DecodedRules, record: dict[str, Any]) -> dict[str, Any]:
        """The rules one by one, raising the first broken one's error (``passes`` said no)."""
        for rule in compiled.required:
            if record[rule.name] is None:
                rule.absent()
        for rule in compiled.checked:
            value = record[rule.name]
            if value is not None:
                record[rule.name] = rule.check_value(value)
        return record

    def _unknown(self, event_type: str, version: int) -> ContractError:
        if event_type in self._decoded:
            return _fail("schema_version", "unknown_version", f"{event_type} has no v{version}")
        return _fail("event_type", "unknown_event_type", f"not in the catalogue: {event_type!r}")


@cache
def default_contract() -> Contract:
    """The contract over the committed schemas (built once per process)."""
    return Contract(SchemaCatalog())


def validate(obj: Mapping[str, Any]) -> dict[str, Any]:
    """:meth:`Contract.validate` over the committed schemas."""
    return default_contract().validate(obj)


def check_decoded(record: dict[str, Any]) -> dict[str, Any]:
    """:meth:`Contract.check_decoded` over the committed schemas."""
    return default_contract().check_decoded(record)


def check_complete(record: dict[str, Any]) -> dict[str, Any]:
    """:meth:`Contract.check_complete` over the committed schemas."""
    return default_contract().check_complete(record)
