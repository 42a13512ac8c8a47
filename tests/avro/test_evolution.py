"""Every schema version can read data written with the version before it (BACKWARD)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer
from hypothesis import given, settings

from pulse.avro.schemas import SchemaVersion
from tests.avro.strategies import CATALOG, events

PAIRS = [
    (versions[i - 1], versions[i])
    for versions in map(CATALOG.versions, CATALOG.event_types())
    for i in range(1, len(versions))
]
IDS = [f"{old.event_type}-v{old.version}-v{new.version}" for old, new in PAIRS]


def test_some_type_has_evolved() -> None:
    """At least one type has two versions, so the evolution tests prove something."""
    assert PAIRS


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=IDS)
def test_added_fields_have_defaults_and_types_are_kept(
    old: SchemaVersion, new: SchemaVersion
) -> None:
    """A new version only adds fields with defaults and never changes a kept field's type."""
    old_fields = {f["name"]: f for f in old.raw["fields"]}
    for field in new.raw["fields"]:
        if field["name"] in old_fields:
            assert field["type"] == old_fields[field["name"]]["type"], field["name"]
        else:
            assert "default" in field, field["name"]
    assert new.raw["name"] == old.raw["name"] and new.raw["namespace"] == old.raw["namespace"]


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=IDS)
def test_new_reader_reads_old_writer(old: SchemaVersion, new: SchemaVersion) -> None:
    """Data written with the old schema reads with the new one: old values kept, new defaulted."""

    @settings(max_examples=50, deadline=None)
    @given(events(old))
    def check(event: dict[str, Any]) -> None:
        out = BytesIO()
        schemaless_writer(out, old.parsed, event)
        out.seek(0)
        read = schemaless_reader(out, old.reading, new.reading)
        assert isinstance(read, dict)
        for field in new.raw["fields"]:
            name = field["name"]
            assert read[name] == (event[name] if name in event else field["default"])

    check()
