"""Whatever the contract admits, the sink can store: the worker's and the sink's view agree."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.avro.contract import check_complete
from pulse.avro.instants import InstantBounds
from pulse.settings import ContractSettings
from pulse.sinks.writer import prepare
from pulse.streams.raw_rows import to_raw_row
from pulse.streams.source import SourceRecord
from tests.avro.strategies import ALL_VERSIONS, as_latest, field_strategy

BOUNDS = InstantBounds.from_settings(ContractSettings())
NOW = 1_796_000_000_000
SOURCE = SourceRecord("pulse.events.conversations", 3, 2**40, NOW)


def edge_events() -> st.SearchStrategy[dict[str, Any]]:
    """Valid events whose ints sit anywhere in their Avro or declared range, instants at the
    bounds, strings of any code point."""

    def one(version: Any) -> st.SearchStrategy[dict[str, Any]]:
        fields = {f["name"]: field_strategy(f) for f in version.raw["fields"]}
        fields["event_type"] = st.just(version.event_type)
        fields["schema_version"] = st.integers(1, 65535)
        fields["occurred_at"] = st.sampled_from(
            [BOUNDS.floor_ms, BOUNDS.latest_ms(NOW), NOW]
        ) | st.integers(BOUNDS.floor_ms, BOUNDS.latest_ms(NOW))
        return st.fixed_dictionaries(fields)

    return st.sampled_from(ALL_VERSIONS).flatmap(one)


@settings(max_examples=400)
@given(edge_events())
def test_every_admitted_event_is_a_storable_raw_row(event: dict[str, Any]) -> None:
    """An event that passes the contract and the bounds becomes a row the sink takes whole."""
    record = check_complete(as_latest(event))
    BOUNDS.check("occurred_at", record["occurred_at"], NOW)
    block = prepare("events_raw", [to_raw_row(record, SOURCE)])
    assert block.bad_rows == []
    assert block.rows == 1
