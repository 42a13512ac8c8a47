"""Decoding hand-off messages: good rows pass, bad messages and rows are named, never fatal."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.sinks.errors import BadMessageError, SinkError, UnknownTableError
from pulse.sinks.handoff import decode
from tests.sinks.rows import dead_letter, event


def test_a_message_yields_its_table_and_prepared_rows() -> None:
    """The key names the table; each object of the array becomes one full row."""
    decoded = decode(b"dead_letters", json.dumps([dead_letter(1), dead_letter(2)]).encode())
    assert decoded.table == "dead_letters"
    assert decoded.columns["source_offset"] == [1, 2]
    assert decoded.bad_rows == []


def test_bad_rows_are_reported_and_their_neighbours_kept() -> None:
    """A row with a bad value is reported by index; the other rows of the message survive."""
    value = json.dumps([event(event_id="a"), event(score="5"), event(event_id="c")]).encode()
    decoded = decode(b"events_raw", value)
    assert decoded.columns["event_id"] == ["a", "c"]
    assert [e.fields["row"] for e in decoded.bad_rows] == [1]


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        (b"events_raw", b"{nope", BadMessageError),
        (b"events_raw", b"\xff\xfe", BadMessageError),
        (b"events_raw", b'"a string"', BadMessageError),
        (b"sink_offsets", b"[]", UnknownTableError),
        (b"messaging_counters", b"[]", UnknownTableError),
        (b"conversation_frt", b"[]", UnknownTableError),
        (b"\xff", b"[]", BadMessageError),
        (None, b"[]", UnknownTableError),
    ],
)
def test_unreadable_messages_raise_a_bad_input_error(
    key: bytes | None, value: bytes, error: type[SinkError]
) -> None:
    """Bad JSON, non-arrays, bad keys and tables outside the hand-off contract (the sink's own,
    retired ones) are refused."""
    with pytest.raises(error):
        decode(key, value)


@given(key=st.binary(max_size=20), value=st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_as_another_exception(key: bytes, value: bytes) -> None:
    """Whatever bytes arrive, decode returns or raises a SinkError, nothing else."""
    with contextlib.suppress(SinkError):
        decode(key, value)


@given(rows=st.lists(st.dictionaries(st.text(max_size=5), st.integers()), max_size=5))
def test_good_and_bad_rows_add_up_to_the_array(rows: list[dict[str, int]]) -> None:
    """Every array element is either a prepared row or a reported bad row."""
    decoded = decode(b"dead_letters", json.dumps(rows).encode())
    assert decoded.rows + len(decoded.bad_rows) == len(rows)
    assert all(len(values) == decoded.rows for values in decoded.columns.values())
