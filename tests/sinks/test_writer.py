"""Contract rows become typed ClickHouse rows; replays change nothing on read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.errors import BadRowError, UnknownTableError
from pulse.sinks.tables import EVENTS_RAW
from pulse.sinks.writer import RowsWriter, prepare, prepare_row
from tests.sinks.rows import T0, dead_letter, event


def test_missing_optional_columns_take_their_defaults() -> None:
    """A row with only required columns gets "", NULL, empty map and list, schema version 1."""
    row = {"tenant_id": "t", "event_id": "e", "event_type": "web.page_view", "occurred_at": T0}
    [out] = prepare("events_raw", [row]).records()
    assert set(out) == {c.name for c in EVENTS_RAW}
    assert out["url"] == "" and out["score"] is None and out["dnt"] is None
    assert out["attributes"] == {} and out["tags"] == [] and out["schema_version"] == 1


def test_an_unknown_table_is_refused_before_any_insert() -> None:
    """A table name outside the contract raises UnknownTableError (a SinkError)."""
    with pytest.raises(UnknownTableError) as info:
        prepare("system.users", [{}])
    assert info.value.fields["table"] == "system.users"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tenant_id", None),
        ("occurred_at", "2024-06-01T00:00:00Z"),
        ("occurred_at", 1.5),
        ("source_offset", -1),
        ("score", 256),
        ("score", True),
        ("dnt", 1),
        ("sequence_step", 2**31),
        ("attributes", {"k": 1}),
        ("tags", "a"),
        ("channel", 5),
    ],
)
def test_values_that_do_not_fit_their_column_are_bad_rows(field: str, value: Any) -> None:
    """Wrong types, out-of-range numbers and absent required columns are refused by column."""
    block = prepare("events_raw", [event(event_id="good"), event(**{field: value})])
    assert block.columns["event_id"] == ["good"]
    [bad] = block.bad_rows
    assert bad.fields == {"table": "events_raw", "row": 1, "column": field}


def test_a_row_that_is_not_an_object_is_a_bad_row() -> None:
    """A JSON array element that is not an object names its index."""
    block = prepare("events_raw", [event(), ["not", "a", "row"]])
    assert block.rows == 1
    assert [e.fields["row"] for e in block.bad_rows] == [1]


@pytest.mark.clickhouse
def test_write_refuses_a_batch_with_a_bad_row(migrated: ClickHouse) -> None:
    """RowsWriter.write inserts all rows or none: one bad row raises before any insert."""
    with pytest.raises(BadRowError):
        RowsWriter(migrated).write("events_raw", [event(), event(source_offset=-1)])
    assert migrated.query("SELECT count() AS n FROM events_raw") == [{"n": 0}]


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.text(max_size=3),
    st.lists(st.text(max_size=2), max_size=2),
    st.dictionaries(st.text(max_size=2), st.one_of(st.text(max_size=2), st.integers()), max_size=2),
)
names = st.sampled_from([c.name for c in EVENTS_RAW] + ["extra"])


@given(st.lists(st.one_of(st.dictionaries(names, values), values), max_size=4))
def test_column_checks_agree_with_the_row_by_row_reference(rows: list[Any]) -> None:
    """The fast column-wise path keeps exactly the rows the per-row reference accepts."""
    block = prepare("events_raw", rows)
    expected = []
    for index, row in enumerate(rows):
        try:
            expected.append(prepare_row("events_raw", EVENTS_RAW, row, index))
        except BadRowError:
            continue
    assert block.records() == expected
    assert block.rows + len(block.bad_rows) == len(rows)


@given(st.lists(st.just(event()), min_size=1, max_size=3), st.sampled_from(EVENTS_RAW), values)
def test_one_odd_value_in_a_column_is_judged_like_the_reference(
    rows: list[dict[str, Any]], column: Any, value: Any
) -> None:
    """A single unusual value among good rows is kept or refused exactly as prepare_row does."""
    rows = [*rows, {**event(), column.name: value}]
    block = prepare("events_raw", rows)
    try:
        prepare_row("events_raw", EVENTS_RAW, rows[-1])
        assert block.rows == len(rows)
    except BadRowError:
        assert block.rows == len(rows) - 1


@pytest.mark.clickhouse
def test_rows_are_stored_with_their_types(migrated: ClickHouse) -> None:
    """Millisecond ints land as DateTime64(3) UTC; maps, arrays and nullables keep their values."""
    RowsWriter(migrated).write("events_raw", [event(score=5, dnt=False, sequence_step=None)])
    [row] = migrated.query(
        "SELECT occurred_at, toUnixTimestamp64Milli(occurred_at) AS ms, attributes, tags, score, "
        "dnt, sequence_step, toTypeName(occurred_at) AS type FROM events_raw"
    )
    assert row["ms"] == T0 + 1234
    assert row["occurred_at"] == datetime.fromtimestamp((T0 + 1234) / 1000, UTC)
    assert row["type"] == "DateTime64(3, 'UTC')"
    assert row["attributes"] == {"k": "v"} and row["tags"] == ["a", "b"]
    assert (row["score"], row["dnt"], row["sequence_step"]) == (5, False, None)


@pytest.mark.clickhouse
def test_reinserting_the_same_rows_leaves_final_counts_unchanged(migrated: ClickHouse) -> None:
    """Replayed raw events and dead letters, in other batches, collapse on read with FINAL."""
    writer = RowsWriter(migrated)
    events = [event(event_id=f"e{i}") for i in range(50)]
    writer.write("events_raw", events)
    writer.write("events_raw", events[10:30])
    writer.write("events_raw", [*events[:5], event(event_id="e50")])
    writer.write("dead_letters", [dead_letter(1), dead_letter(2)])
    writer.write("dead_letters", [dead_letter(2)])
    [raw] = migrated.query("SELECT count() AS n, uniqExact(event_id) AS u FROM events_raw FINAL")
    assert raw == {"n": 51, "u": 51}
    assert migrated.query("SELECT count() AS n FROM dead_letters FINAL") == [{"n": 2}]
