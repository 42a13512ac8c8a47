"""Hypothesis strategies of bad input for every entry of the pipeline, and a deterministic draw.

Events are built from the committed .avsc files (the contract's source of truth) and framed by
hand with fastavro, so that a test can write what no producer SDK would: a body under a foreign
fingerprint, an ``event_type`` no schema has, a score of 6. A *bad* input is one the contract
refuses (METRICS.md §4) or that is no message at all; none of these strategies yields a good one.
"""

from __future__ import annotations

import functools
import struct
import uuid
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from fastavro import schemaless_writer
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pulse.avro.schemas import SchemaCatalog, SchemaVersion

T = TypeVar("T")

CATALOG = SchemaCatalog()
VERSIONS = list(CATALOG)
EVENT_TYPES = frozenset(CATALOG.event_types())
FINGERPRINTS = frozenset(v.fingerprint for v in VERSIONS)

CORPUS = Path(__file__).parent / "corpus"
DAY_MS = 86_400_000
# The instant floor the lead's bounds check uses by default (2000-01-01T00:00:00Z).
FLOOR_MS = 946_684_800_000
YEAR_2350_MS = 11_991_456_000_000
MEGABYTE = 1_000_000
# Entries of a huge map or array: small enough that the message stays under the topic's 1 MB.
HUGE_ENTRIES = 100_000

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)


def _field_kind(field: dict[str, Any]) -> tuple[Any, str, bool]:
    """The non-null branch of a field's type, its kind (logical type first), and nullability."""
    avro_type = field["type"]
    nullable = isinstance(avro_type, list) and "null" in avro_type
    if isinstance(avro_type, list):
        (avro_type,) = [t for t in avro_type if t != "null"]
    kind = avro_type if isinstance(avro_type, str) else avro_type.get("logicalType")
    return avro_type, str(kind or avro_type["type"]), nullable


def _valid_value(field: dict[str, Any], now_ms: int) -> st.SearchStrategy[Any]:
    avro_type, kind, nullable = _field_kind(field)
    base: st.SearchStrategy[Any]
    if field["name"] == "event_type" or field["name"] == "schema_version":
        raise AssertionError("set by the caller")
    if kind == "uuid":
        base = st.uuids().map(str)
    elif kind == "timestamp-millis":
        base = st.integers(now_ms - 3 * DAY_MS, now_ms - 60_000)
    elif kind == "int":
        low, high = field.get("pulse.range", [0, 1000])
        base = st.integers(low, high)
    elif kind == "boolean":
        base = st.booleans()
    elif kind == "enum":
        base = st.sampled_from(avro_type["symbols"])
    elif kind == "map":
        base = st.dictionaries(_WORD, _WORD, max_size=2)
    elif kind == "array":
        base = st.lists(_WORD, max_size=2)
    else:
        base = _WORD
    return st.none() | base if nullable else base


def valid_events(version: SchemaVersion, now_ms: int) -> st.SearchStrategy[dict[str, Any]]:
    """Events the contract accepts, written with ``version``, a little before ``now_ms``."""
    fields = {
        f["name"]: _valid_value(f, now_ms)
        for f in version.raw["fields"]
        if f["name"] not in ("event_type", "schema_version")
    }
    fields["event_type"] = st.just(version.event_type)
    fields["schema_version"] = st.just(version.version)
    fields["tenant_id"] = st.just("fuzz")
    return st.fixed_dictionaries(fields)


def frame(version: SchemaVersion, event: dict[str, Any]) -> bytes:
    """Single-object encoding of ``event`` under ``version``, whatever its ``event_type`` says."""
    out = BytesIO()
    out.write(b"\xc3\x01" + version.fingerprint)
    schemaless_writer(out, version.reading, event)
    return out.getvalue()


EVENTS_PER_VERSION = 4


@functools.cache
def _pool(now_ms: int) -> tuple[tuple[SchemaVersion, dict[str, Any]], ...]:
    # Drawing a whole event costs ~20 ms (a draw per field); thousands of bad inputs pick their
    # base from this pool and draw only what makes them bad.
    return tuple(
        (version, event)
        for version in VERSIONS
        for event in draw_many(valid_events(version, now_ms), EVENTS_PER_VERSION)
    )


def valid_messages(now_ms: int) -> st.SearchStrategy[tuple[SchemaVersion, dict[str, Any]]]:
    """Valid events of every type and version (a copy each: callers may break them)."""
    return st.sampled_from(_pool(now_ms)).map(lambda pair: (pair[0], dict(pair[1])))


def _message(now_ms: int) -> st.SearchStrategy[bytes]:
    return valid_messages(now_ms).map(lambda pair: frame(*pair))


# --- bytes that are no event -------------------------------------------------------------------


def garbage(now_ms: int) -> st.SearchStrategy[bytes]:
    """Random bytes (the empty value too), never starting with a known single-object header."""
    return st.binary(max_size=300).filter(lambda b: b[2:10] not in FINGERPRINTS)


@st.composite
def truncated(draw: st.DrawFn, now_ms: int) -> bytes:
    """A valid message cut short anywhere, header included."""
    message = draw(_message(now_ms))
    return message[: draw(st.integers(0, len(message) - 1))]


@st.composite
def trailing_bytes(draw: st.DrawFn, now_ms: int) -> bytes:
    return draw(_message(now_ms)) + draw(st.binary(min_size=1, max_size=40))


@st.composite
def wrong_fingerprint(draw: st.DrawFn, now_ms: int) -> bytes:
    """A valid body under a fingerprint no schema has."""
    message = draw(_message(now_ms))
    fingerprint = draw(st.binary(min_size=8, max_size=8).filter(lambda f: f not in FINGERPRINTS))
    return message[:2] + fingerprint + message[10:]


@st.composite
def wrong_schema_id(draw: st.DrawFn, now_ms: int) -> bytes:
    """A valid body in the Confluent frame, under a schema id nothing registered."""
    schema_id = draw(st.integers(0, 2**32 - 1))
    return b"\x00" + struct.pack(">I", schema_id) + draw(_message(now_ms))[10:]


@st.composite
def bad_magic(draw: st.DrawFn, now_ms: int) -> bytes:
    first = draw(st.integers(1, 255).filter(lambda b: b != 0xC3))
    return bytes([first]) + draw(_message(now_ms))[1:]


# --- valid Avro, values the contract refuses ---------------------------------------------------


def _bad_uuid() -> st.SearchStrategy[str]:
    samples = ["", "not-a-uuid", str(uuid.UUID(int=7)).replace("-", ""), str(uuid.uuid4()) + "0"]
    return st.sampled_from(samples) | st.text(max_size=40).filter(
        lambda s: len(s) != 36 or s.count("-") != 4
    )


def _breakable(field: dict[str, Any]) -> st.SearchStrategy[Any] | None:
    """Values of ``field``'s Avro type that the contract refuses, or None if there are none."""
    if field["name"] == "event_type":
        return st.sampled_from(["", "message.nope", "MESSAGE.SENT"]) | st.text(max_size=30).filter(
            lambda s: s not in EVENT_TYPES
        )
    _, kind, _ = _field_kind(field)
    if kind == "uuid":
        return _bad_uuid()
    if field.get("pulse.min_length"):
        return st.just("")
    if "pulse.range" in field:
        low, high = field["pulse.range"]
        return (
            st.sampled_from([low - 1, high + 1, -1, 2**31 - 1, -(2**31)])
            | st.integers(-(2**31), low - 1)
            | st.integers(high + 1, 2**31 - 1)
        )
    return None


_BREAKABLE = [
    (version, field["name"], strategy)
    for version in VERSIONS
    for field in version.raw["fields"]
    if (strategy := _breakable(field)) is not None
]


@st.composite
def contract_breaches(draw: st.DrawFn, now_ms: int) -> bytes:
    """A well-framed event of any type with one field the contract refuses (every such field)."""
    version, name, strategy = draw(st.sampled_from(_BREAKABLE))
    event = dict(draw(st.sampled_from([e for v, e in _pool(now_ms) if v is version])))
    event[name] = draw(strategy)
    return frame(version, event)


def bad_instants(now_ms: int) -> st.SearchStrategy[int]:
    """``occurred_at`` values out of bounds: micro/nano seconds, negative, before the floor,
    after now plus the skew (year 2350 among them), and the ends of the long range."""
    recent = st.integers(now_ms - 300 * DAY_MS, now_ms)
    return st.one_of(
        recent.map(lambda ms: ms * 1000),
        recent.map(lambda ms: ms * 1_000_000),
        st.integers(-(2**63), -1),
        st.integers(0, FLOOR_MS - 1),
        st.integers(now_ms + 2 * DAY_MS, 2**63 - 1),
        st.sampled_from([YEAR_2350_MS, 2**63 - 1, -(2**63), 0]),
    )


@st.composite
def instant_breaches(draw: st.DrawFn, now_ms: int) -> bytes:
    version, event = draw(valid_messages(now_ms))
    event["occurred_at"] = draw(bad_instants(now_ms))
    return frame(version, event)


def huge_messages(now_ms: int) -> list[bytes]:
    """Events just under the topic's 1 MB: a 1 MB string, or a map or array of 100k entries,
    in every field that can hold one, of ``message.sent`` (the busiest type)."""
    version = CATALOG.latest("message.sent")
    base = next(e for v, e in _pool(now_ms) if v is version)
    string = "x" * (MEGABYTE - 2_000)
    values: list[tuple[str, Any]] = [
        (f["name"], string)
        for f in version.raw["fields"]
        if _field_kind(f)[1] == "string" and f["name"] != "event_type"
    ]
    values += [
        ("attributes", {f"k{i:05}": "" for i in range(HUGE_ENTRIES)}),
        ("tags", [f"{i:05}" for i in range(HUGE_ENTRIES)]),
        ("event_id", string),
    ]
    return [frame(version, {**base, name: value}) for name, value in values]


# --- the deterministic draw --------------------------------------------------------------------


DRAWS_PER_EXAMPLE = 25


def draw_many(strategy: st.SearchStrategy[T], count: int) -> list[T]:
    """``count`` examples of ``strategy``, the same ones on every run (a fixed seed).

    Hypothesis spends milliseconds per example on its own bookkeeping, so each example is a
    list of several draws.
    """
    out: list[T] = []
    per = min(count, DRAWS_PER_EXAMPLE)

    @hsettings(
        max_examples=-(-count // per),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(strategy, min_size=per, max_size=per))
    def collect(values: list[T]) -> None:
        out.extend(values)

    collect()
    assert len(out) >= count, f"hypothesis gave {len(out)} of {count} examples"
    return out[:count]


MALFORMED: list[Callable[[int], st.SearchStrategy[bytes]]] = [
    garbage,
    truncated,
    trailing_bytes,
    wrong_fingerprint,
    wrong_schema_id,
    bad_magic,
    contract_breaches,
]


def malformed_messages(now_ms: int, count: int) -> list[bytes]:
    """``count`` bad messages split evenly over the families of :data:`MALFORMED`, so that no
    family crowds out another."""
    share = -(-count // len(MALFORMED))
    return [value for family in MALFORMED for value in draw_many(family(now_ms), share)][:count]


def corpus_messages() -> list[bytes]:
    """The hand-written bad messages of ``corpus/messages.hex``."""
    text = (CORPUS / "messages.hex").read_text()
    return [bytes.fromhex(line) for line in text.splitlines() if line and not line.startswith("#")]
