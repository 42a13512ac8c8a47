"""What every drill-down row source shares: a page of rows and its opaque keyset cursor.

A source reads its rows in the order of a sort key that is unique per row; a cursor is the
last row's key, JSON in URL-safe base64, and the next page starts strictly after it. Rows stored
between two pages are visited when they sort after the cursor and never twice, since no page
skips or repeats a key; no offset is ever counted.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pulse.families.errors import FamilyError

MAX_PAGE = 1000


class BadCursorError(FamilyError):
    """A cursor this API did not hand out (or for another kind of rows)."""

    code = "bad_cursor"


@dataclass(frozen=True)
class Page:
    """Rows in key order; ``cursor`` is the last one's (None: no rows), ``more`` whether any
    row follows it."""

    rows: list[dict[str, Any]]
    cursor: str | None
    more: bool


class RowSource(Protocol):
    """A filtered set of rows of one tenant, read in a stable order, ``limit`` at a time."""

    @property
    def columns(self) -> tuple[str, ...]: ...

    def page(self, after: str | None, limit: int) -> Page: ...


def encode(kind: str, key: Sequence[str | int]) -> str:
    text = json.dumps([kind, *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(kind: str, cursor: str, types: Sequence[type]) -> list[Any]:
    """The sort key in ``cursor``, checked to be ``kind``'s with values of ``types``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        found = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError) as exc:
        raise BadCursorError("The cursor is not one this API handed out.", kind=kind) from exc
    if (
        not isinstance(found, list)
        or len(found) != len(types) + 1
        or found[0] != kind
        or not all(type(v) is t for v, t in zip(found[1:], types, strict=True))
    ):
        raise BadCursorError(f"The cursor is not one of a page of {kind} rows.", kind=kind)
    return found[1:]


def paged(kind: str, rows: list[dict[str, Any]], limit: int, key: Sequence[str]) -> Page:
    """A page from ``rows`` read with ``limit + 1``: the extra row only says there is more."""
    kept = rows[:limit]
    cursor = encode(kind, [kept[-1][k] for k in key]) if kept else None
    return Page(rows=kept, cursor=cursor, more=len(rows) > limit)
