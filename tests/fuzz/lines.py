"""Hypothesis strategies of bad JSON Lines for `pulse produce`: one bad line per example.

The events broken here are the valid events of :mod:`tests.fuzz.strategies` in their JSON form,
so every event type and version is covered; each line breaks one thing only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from pulse.avro.timestamps import format_iso_ms
from tests.fuzz.strategies import (
    _BREAKABLE,
    CORPUS,
    DAY_MS,
    EVENT_TYPES,
    FLOOR_MS,
    MEGABYTE,
    _field_kind,
    _pool,
    draw_many,
)

_SCALARS = st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=8))
_ANY_JSON = st.recursive(
    st.none() | _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def as_json(event: dict[str, Any]) -> dict[str, Any]:
    """A logical event as a producer writes it: ISO instant, nulls left out."""
    out = {k: v for k, v in event.items() if v is not None}
    out["occurred_at"] = format_iso_ms(event["occurred_at"])
    return out


def _json_events(now_ms: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(_pool(now_ms)).map(lambda pair: as_json(pair[1]))


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _not_json() -> st.SearchStrategy[str]:
    def parses(text: str) -> bool:
        try:
            json.loads(text)
        except ValueError:
            return False
        return True

    return (
        st.text(max_size=60)
        .map(lambda t: t.replace("\n", " ").replace("\r", " "))
        .filter(lambda t: t.strip() != "" and not parses(t))
    )


@st.composite
def truncated_lines(draw: st.DrawFn, now_ms: int) -> str:
    line = _line(draw(_json_events(now_ms)))
    return line[: draw(st.integers(1, len(line) - 1))]


def not_objects(now_ms: int) -> st.SearchStrategy[str]:
    return _ANY_JSON.filter(lambda v: not isinstance(v, dict)).map(_line)


def _wrong_type(field: dict[str, Any]) -> st.SearchStrategy[Any]:
    """JSON values that are not of ``field``'s type (null aside: it means absent)."""
    _, kind, _ = _field_kind(field)
    if kind in ("int",):
        return (
            st.floats(allow_nan=False).filter(lambda f: not f.is_integer())
            | st.text(max_size=5)
            | st.booleans()
            | st.lists(st.integers(), max_size=2)
        )
    if kind == "boolean":
        return st.integers() | st.text(max_size=5) | st.just("true")
    if kind == "map":
        return (
            st.lists(st.text(max_size=3), max_size=2)
            | st.text(max_size=5)
            | st.dictionaries(
                st.text(max_size=3), st.integers() | st.booleans(), min_size=1, max_size=2
            )
        )
    if kind == "array":
        return (
            st.text(max_size=5)
            | st.dictionaries(st.text(max_size=3), st.text(), max_size=2)
            | st.lists(st.integers(), min_size=1, max_size=2)
        )
    # Strings, enums, UUIDs and instants are all JSON strings.
    return (
        st.integers()
        | st.floats(allow_nan=False)
        | st.booleans()
        | st.lists(st.text(max_size=3), max_size=2)
        | st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2)
    )


@st.composite
def wrong_types(draw: st.DrawFn, now_ms: int) -> str:
    version, event = draw(st.sampled_from(_pool(now_ms)))
    field = draw(
        st.sampled_from([f for f in version.raw["fields"] if f["name"] != "schema_version"])
    )
    out = as_json(event)
    out[field["name"]] = draw(_wrong_type(field))
    return _line(out)


@st.composite
def missing_required(draw: st.DrawFn, now_ms: int) -> str:
    version, event = draw(st.sampled_from(_pool(now_ms)))
    required = [
        f["name"]
        for f in version.raw["fields"]
        if not isinstance(f["type"], list) and "default" not in f
    ]
    out = as_json(event)
    del out[draw(st.sampled_from(required))]
    return _line(out)


@st.composite
def contract_values(draw: st.DrawFn, now_ms: int) -> str:
    """Well-typed JSON with a value the contract refuses: bad UUID, empty string, score 6."""
    version, name, strategy = draw(st.sampled_from(_BREAKABLE))
    event = draw(st.sampled_from([e for v, e in _pool(now_ms) if v is version]))
    out = {**as_json(event), name: draw(strategy)}
    return _line(out)


@st.composite
def unknown_types(draw: st.DrawFn, now_ms: int) -> str:
    out = draw(_json_events(now_ms))
    if draw(st.booleans()):
        out["event_type"] = draw(st.text(max_size=20).filter(lambda t: t not in EVENT_TYPES))
    else:
        out["schema_version"] = draw(st.sampled_from([0, -1, 99, 2**40, "2", 1.5, True]))
    return _line(out)


_MALFORMED_INSTANTS = [
    "",
    "yesterday",
    "2025-01-01T00:00:00",
    "2025-02-30T00:00:00Z",
    "2025-01-01 00:00:00Z",
    "2025-01-01t00:00:00z",
    "2025-01-01T25:00:00Z",
    "2025-01-01T00:00:00+24:00",
    "+10000-01-01T00:00:00Z",
    "2025-01-01T00:00:60Z",
    "2025-W01-1T00:00:00Z",
]


@st.composite
def malformed_instants(draw: st.DrawFn, now_ms: int) -> str:
    out = draw(_json_events(now_ms))
    out["occurred_at"] = draw(st.sampled_from(_MALFORMED_INSTANTS) | st.text(max_size=25))
    return _line(out)


@st.composite
def out_of_bounds_instants(draw: st.DrawFn, now_ms: int) -> str:
    """Well-formed ISO instants before the floor or after now plus the skew (2350 among them)."""
    out = draw(_json_events(now_ms))
    ms = draw(
        st.integers(-62_104_060_800_000, FLOOR_MS - 1)
        | st.integers(now_ms + 2 * DAY_MS, 253_370_764_800_000)
        | st.just(11_991_456_000_000)
    )
    out["occurred_at"] = format_iso_ms(ms)
    return _line(out)


@st.composite
def lone_surrogates(draw: st.DrawFn, now_ms: int) -> str:
    version, event = draw(st.sampled_from(_pool(now_ms)))
    strings = [f["name"] for f in version.raw["fields"] if _field_kind(f)[1] == "string"]
    out = as_json(event)
    out[draw(st.sampled_from(strings))] = "\ud800"
    return json.dumps(out)  # ASCII escapes: the line itself is valid UTF-8


def oversized_lines(now_ms: int) -> list[str]:
    """Events over the topic's 1 MB: a long string, a huge map, a huge array."""
    (event,) = [as_json(e) for v, e in _pool(now_ms) if v.event_type == "message.sent"][:1]
    return [
        _line({**event, "message_id": "x" * (MEGABYTE + 50_000)}),
        _line({**event, "attributes": {f"k{i:06}": "v" for i in range(150_000)}}),
        _line({**event, "tags": [f"t{i:06}" for i in range(150_000)]}),
    ]


BAD_LINES: list[Callable[[int], st.SearchStrategy[str]]] = [
    lambda _: _not_json(),
    truncated_lines,
    not_objects,
    wrong_types,
    missing_required,
    contract_values,
    unknown_types,
    malformed_instants,
    lone_surrogates,
]


def bad_lines(now_ms: int, count: int) -> list[str]:
    """``count`` bad lines split evenly over :data:`BAD_LINES`."""
    share = -(-count // len(BAD_LINES))
    return [line for family in BAD_LINES for line in draw_many(family(now_ms), share)][:count]


def corpus_lines() -> list[str]:
    """The hand-written bad lines of ``corpus/lines.jsonl``."""
    return (CORPUS / "lines.jsonl").read_text(encoding="utf-8").splitlines()
