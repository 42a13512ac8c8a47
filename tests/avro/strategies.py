"""Hypothesis strategies of valid events, built from the .avsc files themselves."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from pulse.avro.schemas import SchemaCatalog, SchemaVersion
from pulse.avro.timestamps import format_iso_ms

CATALOG = SchemaCatalog()
# Years 2..9998, so that any offset of ±14 h still formats as a four-digit year.
MIN_MS, MAX_MS = -62_104_060_800_000, 253_370_764_800_000

_TEXT = st.characters(codec="utf-8")


def _text(min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(alphabet=_TEXT, min_size=min_size, max_size=12)


def _base(avro_type: Any, field: dict[str, Any]) -> st.SearchStrategy[Any]:
    logical = avro_type.get("logicalType") if isinstance(avro_type, dict) else None
    kind = avro_type["type"] if isinstance(avro_type, dict) else avro_type
    if logical == "uuid":
        return st.uuids().map(str)
    if logical == "timestamp-millis":
        return st.integers(MIN_MS, MAX_MS)
    if kind == "int":
        low, high = field.get("pulse.range", [-(2**31), 2**31 - 1])
        return st.integers(low, high)
    if kind == "boolean":
        return st.booleans()
    if kind == "enum":
        return st.sampled_from(avro_type["symbols"])
    if kind == "map":
        return st.dictionaries(_text(), _text(), max_size=3)
    if kind == "array":
        return st.lists(_text(), max_size=3)
    assert kind == "string", kind
    return _text(field.get("pulse.min_length", 0))


def field_strategy(field: dict[str, Any]) -> st.SearchStrategy[Any]:
    avro_type = field["type"]
    if isinstance(avro_type, list):
        (inner,) = [t for t in avro_type if t != "null"]
        return st.none() | _base(inner, field)
    return _base(avro_type, field)


def events(version: SchemaVersion) -> st.SearchStrategy[dict[str, Any]]:
    """Valid logical events (occurred_at int ms) written with ``version``."""
    fields = {f["name"]: field_strategy(f) for f in version.raw["fields"]}
    fields["event_type"] = st.just(version.event_type)
    fields["schema_version"] = st.just(version.version)
    return st.fixed_dictionaries(fields)


def as_latest(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` with the field set of the latest schema of its type (what decoding yields)."""
    latest = CATALOG.latest(event["event_type"])
    return {
        f["name"]: event[f["name"]] if f["name"] in event else copy.copy(f["default"])
        for f in latest.raw["fields"]
    }


def as_json(event: dict[str, Any], offset_minutes: int) -> dict[str, Any]:
    """The JSON form of a logical event, ``occurred_at`` written at a given UTC offset."""
    return {**event, "occurred_at": format_iso_ms(event["occurred_at"], offset_minutes)}


ALL_VERSIONS = list(CATALOG)
