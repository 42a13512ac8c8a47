"""Drill-down rows with a tenant's sensitive fields masked: the one place every row source's
rows pass through before a GraphQL page or an export shows them (``sources.py`` wraps each)."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Any

from pulse.families.drilldown.rows import Page, RowSource
from pulse.families.drilldown.sensitive import ATTRIBUTES, MARKER


def mask_row(row: dict[str, Any], sensitive: Set[str]) -> dict[str, Any]:
    """``row`` with the present values of ``sensitive`` fields replaced by :data:`MARKER`."""
    shown = dict(row)
    for name in sensitive & row.keys():
        if row[name] not in (None, ""):
            shown[name] = MARKER
    attributes = row.get(ATTRIBUTES)
    if isinstance(attributes, dict):
        every = ATTRIBUTES in sensitive
        shown[ATTRIBUTES] = {
            key: MARKER if (every or f"{ATTRIBUTES}.{key}" in sensitive) and value else value
            for key, value in attributes.items()
        }
    return shown


@dataclass(frozen=True)
class MaskedRows:
    """``source``'s rows with ``sensitive`` masked; the cursor is the source's, since no
    sensitive field is part of a sort key (``sensitive.MASKABLE``)."""

    source: RowSource
    sensitive: frozenset[str]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.source.columns

    def page(self, after: str | None, limit: int) -> Page:
        page = self.source.page(after, limit)
        rows = [mask_row(row, self.sensitive) for row in page.rows]
        return Page(rows=rows, cursor=page.cursor, more=page.more)


def masked(source: RowSource, sensitive: Set[str]) -> RowSource:
    """``source`` itself when nothing is sensitive, else its rows masked."""
    return MaskedRows(source, frozenset(sensitive)) if sensitive else source
