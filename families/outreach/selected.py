"""Which messaging counts a ranked list's GraphQL selection shows, so only those are read.

A rate shows two counts (METRICS.md §3 Messaging). A selection this cannot read field by field
(a fragment) asks for every count: reading too much is only slower, reading too little would
show a zero that is not.
"""

from __future__ import annotations

from collections.abc import Mapping

from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from pulse.families.messaging.model import COUNTS

# The counts each rate field of ``MessagingCounts`` divides (numerator, denominator).
RATE_INPUTS = {
    "deliveryRate": ("delivered", "sent"),
    "readRate": ("read", "delivered"),
    "clickRate": ("clicked", "delivered"),
    "failureRate": ("failed", "sent"),
}


def selected_counts(
    info: Info, also: tuple[str, ...] = (), shows: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[str, ...]:
    """The counts the field being resolved shows (plus ``also``), in ``COUNTS`` order;
    ``shows`` names a row type's own fields and the counts they show (a template's ``usage``)."""
    wanted = set(also)
    fields = {**RATE_INPUTS, **(shows or {})}
    for field in info.selected_fields:
        found = _counts_of(field.selections, fields)
        if found is None:
            return COUNTS
        wanted |= found
    return tuple(c for c in COUNTS if c in wanted)


def _counts_of(
    selections: list[Selection], fields: Mapping[str, tuple[str, ...]]
) -> set[str] | None:
    wanted: set[str] = set()
    for selection in selections:
        if not isinstance(selection, SelectedField):
            return None
        if selection.name in COUNTS:
            wanted.add(selection.name)
        wanted.update(fields.get(selection.name, ()))
    return wanted
