"""What a tenant may mark sensitive in drill-down rows and exports, and the marker shown instead.

A sensitive field is a row column that can name or reach a person (:data:`MASKABLE`), the whole
``attributes`` map, or one of its keys (``attributes.email``). The columns of a row's sort key
(event and conversation ids, types, instants, session keys) are not among them: they travel in
the page cursor, which a masked row must not give away. Dimensions the figures are grouped by
(channel, org unit, priority, …) are not either: every metric answer shows them.
"""

from __future__ import annotations

from collections.abc import Iterable

# Shown instead of a sensitive value to a token without ``analytics.pii``; an absent value (an
# empty string or null) stays absent, since it tells nothing about a person.
MARKER = "[masked]"
ATTRIBUTES = "attributes"
MASKABLE = frozenset(
    {
        "contact_id",
        "agent_id",
        "agent",
        "visitor_id",
        "name",
        "url",
        "campaign_id",
        "entry_page",
        "referrer",
        "utm_campaign",
    }
)


def sensitive_fields(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` sorted and deduplicated; ValueError naming the first that cannot be masked."""
    found = set()
    for name in names:
        key = name.removeprefix(f"{ATTRIBUTES}.")
        if not (name in MASKABLE or name == ATTRIBUTES or (key != name and key)):
            raise ValueError(
                f"{name!r} cannot be marked sensitive; choose among"
                f" {', '.join(sorted(MASKABLE))}, {ATTRIBUTES} or {ATTRIBUTES}.KEY"
            )
        found.add(name)
    return tuple(sorted(found))
