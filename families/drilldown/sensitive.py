"""What a tenant may mark sensitive in drill-down rows and exports, and the marker shown instead.

A sensitive field is a row column that names a person and that no figure shows
(:data:`MASKABLE`), the whole ``attributes`` map, or one of its keys (``attributes.email``).

Only values no metric groups by, filters on or lists may be masked: a breakdown's labels, a
top list's names or a filter answering yes or no would show a masked value to the same token
(agents, campaigns and their names, pages and entry pages, referrers, UTM values all appear in
metric answers, so none of them is maskable). The columns of a row's sort key (event and
conversation ids, types, instants, session keys) are not either: they travel in the page
cursor, which a masked row must not give away.
"""

from __future__ import annotations

from collections.abc import Iterable

from pulse.families.errors import FamilyError

# Shown instead of a sensitive value to a token without ``analytics.pii``; an absent value (an
# empty string or null) stays absent, since it tells nothing about a person.
MARKER = "[masked]"
ATTRIBUTES = "attributes"
# Each is the only name its value goes by in any row, and no metric reads it.
MASKABLE = frozenset({"contact_id", "visitor_id"})


class NotMaskableError(FamilyError):
    """A field a tenant asked to mask that some figure shows, or no row has."""

    code = "not_maskable"


def is_maskable(name: str) -> bool:
    """Whether ``name`` is in :data:`MASKABLE`, ``attributes`` or ``attributes.KEY``."""
    key = name.removeprefix(f"{ATTRIBUTES}.")
    return name in MASKABLE or name == ATTRIBUTES or (key != name and bool(key))


def sensitive_fields(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` sorted and deduplicated; NotMaskableError naming the first not maskable."""
    found = set()
    for name in names:
        if not is_maskable(name):
            raise NotMaskableError(
                f"{name!r} cannot be marked sensitive; choose among"
                f" {', '.join(sorted(MASKABLE))}, {ATTRIBUTES} or {ATTRIBUTES}.KEY",
                field=name,
                maskable=sorted(MASKABLE),
            )
        found.add(name)
    return tuple(sorted(found))
