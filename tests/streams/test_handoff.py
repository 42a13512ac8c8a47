"""Row chunks for the hand-off topic: every row once, in order, within the size limit."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.streams.errors import HandoffError
from pulse.streams.handoff import json_chunks

# Row values are what Avro decodes: 64-bit integers and strings.
INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
ROWS = st.lists(st.fixed_dictionaries({"id": INT64, "text": st.text(max_size=300)}), max_size=1200)


@given(ROWS, st.integers(min_value=200, max_value=20_000))
def test_chunks_hold_every_row_once_in_order_under_the_limit(rows: list, max_bytes: int) -> None:
    """Decoding the chunks gives the rows back; only a lone oversized row may pass the limit."""
    chunks = list(json_chunks(rows, max_bytes))
    decoded = [row for chunk, _ in chunks for row in json.loads(chunk)]
    assert decoded == rows
    assert all(count == len(json.loads(chunk)) for chunk, count in chunks)
    assert all(len(chunk) <= max_bytes or count == 1 for chunk, count in chunks)


def test_a_row_json_cannot_hold_is_a_handoff_error() -> None:
    """An integer past 64 bits (which no decoded event carries) fails loudly, naming JSON."""
    with pytest.raises(HandoffError, match="cannot be encoded as JSON"):
        list(json_chunks([{"id": 2**64}]))
