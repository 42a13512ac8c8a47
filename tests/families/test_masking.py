"""Masking drill-down rows: present values of sensitive fields become the marker, absent ones
stay absent, attributes by key or all of them, and the page's cursor is untouched."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pulse.families.drilldown.masking import mask_row, masked
from pulse.families.drilldown.rows import Page

MARKER = "[masked]"


def test_present_values_are_masked_and_absent_ones_kept() -> None:
    """A sensitive column with a value reads the marker; empty or null stays as it was."""
    rows = [{"contact_id": "k1", "visitor_id": "v1"}, {"contact_id": "", "visitor_id": None}]
    shown = [mask_row(r, {"contact_id", "visitor_id"}) for r in rows]
    assert shown == [
        {"contact_id": MARKER, "visitor_id": MARKER},
        {"contact_id": "", "visitor_id": None},
    ]


def test_attributes_are_masked_by_key_or_all() -> None:
    """attributes.KEY masks that key's value only; attributes masks every value."""
    row = {"attributes": {"email": "a@b.c", "plan": "pro", "phone": ""}}
    assert mask_row(row, {"attributes.email"})["attributes"] == {
        "email": MARKER,
        "plan": "pro",
        "phone": "",
    }
    assert mask_row(row, {"attributes"})["attributes"] == {
        "email": MARKER,
        "plan": MARKER,
        "phone": "",
    }


@given(
    st.dictionaries(st.sampled_from(["contact_id", "visitor_id", "event_id"]), st.text(min_size=1))
)
def test_no_masked_value_survives(row: dict[str, Any]) -> None:
    """Whatever the values, a sensitive one never appears in the masked row; others do."""
    shown = mask_row(row, {"contact_id", "visitor_id"})
    for name, value in row.items():
        assert shown[name] == (MARKER if name != "event_id" else value)


class OnePage:
    columns = ("event_id", "contact_id")

    def page(self, after: str | None, limit: int) -> Page:
        return Page(rows=[{"event_id": "e1", "contact_id": "k1"}], cursor="c", more=True)


def test_a_masked_source_keeps_its_columns_and_cursor() -> None:
    """Wrapping changes the rows only; nothing sensitive leaves the source unwrapped."""
    source = OnePage()
    assert masked(source, set()) is source
    page = masked(source, {"contact_id"}).page(None, 1)
    assert (page.rows, page.cursor, page.more) == (
        [{"event_id": "e1", "contact_id": MARKER}],
        "c",
        True,
    )
    assert masked(source, {"contact_id"}).columns == source.columns
