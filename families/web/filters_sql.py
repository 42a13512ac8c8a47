"""How each dimension reads on the three kinds of rows a web question counts.

- *event rows*: ``web_sessions`` rows (every non-dnt web event) counted by their own time, for
  page views and visitors. A session dimension (entry page, referrer, UTM, device, browser, OS,
  country) is the value of the event's session, taken from its entry event, so a filter keeps
  whole sessions; ``page`` is the event's own URL and keeps page views of that page (visitors:
  those who viewed it).
- *session rows*: the entry rows (``is_entry``), counted by the session's start, for sessions,
  bounces and lengths. ``page`` keeps sessions that viewed the page (``pages``); grouped by
  ``page``, a session counts under its entry page (Plausible's bounce rate of a page: the
  sessions that entered on it).
- *dnt rows*: dnt page views in ``events_raw``, which belong to no session: every dimension is the
  event's own field (its URL is its page and entry page).
"""

from __future__ import annotations

from collections.abc import Mapping

from pulse.families.web.model import Dimension

# The column holding a dimension's value on each kind of row (page: the event's URL).
EVENT_COLUMN: Mapping[Dimension, str] = {
    "page": "url",
    "entry_page": "entry_page",
    "referrer": "referrer",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "device": "device",
    "browser": "browser",
    "os": "os",
    "country": "country",
}
SESSION_COLUMN: Mapping[Dimension, str] = {**EVENT_COLUMN, "page": "entry_page"}
DNT_COLUMN: Mapping[Dimension, str] = {**EVENT_COLUMN, "entry_page": "url"}


def param(dimension: Dimension) -> str:
    return f"{{f_{dimension}:String}}"


def event_filter(filters: Mapping[Dimension, str]) -> str:
    """The predicate on event rows for ``filters`` ('1' for none)."""
    clauses = [
        "is_page_view = 1 AND url = " + param(d)
        if d == "page"
        else f"toString({EVENT_COLUMN[d]}) = {param(d)}"
        for d in filters
    ]
    return " AND ".join(clauses) or "1"


def session_filter(filters: Mapping[Dimension, str]) -> str:
    """The predicate on session (entry) rows for ``filters`` ('1' for none)."""
    clauses = [
        f"has(pages, {param(d)})" if d == "page" else f"toString({EVENT_COLUMN[d]}) = {param(d)}"
        for d in filters
    ]
    return " AND ".join(clauses) or "1"


def dnt_filter(filters: Mapping[Dimension, str]) -> str:
    """The predicate on dnt page views for ``filters`` ('1' for none)."""
    return " AND ".join(f"toString({DNT_COLUMN[d]}) = {param(d)}" for d in filters) or "1"


def filter_params(filters: Mapping[Dimension, str]) -> dict[str, str]:
    return {f"f_{d}": value for d, value in filters.items()}
