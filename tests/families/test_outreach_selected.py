"""The counts a ranked list's GraphQL selection shows: named counts, a rate's two, all under a
fragment."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from strawberry.types.nodes import InlineFragment, SelectedField

from pulse.families.messaging.model import COUNTS
from pulse.families.outreach.selected import selected_counts


def field(name: str, selections: list[Any] | None = None) -> SelectedField:
    return SelectedField(name, {}, {}, selections or [])


def info(*selections: Any) -> Any:
    return SimpleNamespace(selected_fields=[field("top", list(selections))])


def test_counts_and_rates_select_their_counts_in_order() -> None:
    """``sent`` and ``readRate`` read sent, delivered and read; ids and names read none."""
    chosen = info(field("campaignId"), field("name"), field("readRate"), field("sent"))
    assert selected_counts(chosen) == ("sent", "delivered", "read")


def test_a_selection_without_counts_reads_only_what_is_added() -> None:
    """Only ids and names: nothing but the ranking's own counts (``also``)."""
    assert selected_counts(info(field("campaignId")), also=("failed",)) == ("failed",)


def test_a_fragment_reads_every_count() -> None:
    """A fragment is not read field by field: every count is read."""
    chosen = info(field("campaignId"), InlineFragment("CampaignRow", [field("sent")], {}))
    assert selected_counts(chosen) == COUNTS


def test_a_row_types_own_field_shows_the_counts_it_names() -> None:
    """A template's ``usage`` shows its sent count."""
    chosen = info(field("templateId"), field("usage"))
    assert selected_counts(chosen, shows={"usage": ("sent",)}) == ("sent",)
