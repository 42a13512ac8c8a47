"""The web dataset of the family tests: every edge of METRICS.md §4 Web, in two batches.

Tenant "acme" (Europe/Lisbon) and "globex", which reuses acme's visitor ids at other times.
"""

from __future__ import annotations

from typing import Any

from tests.families.web_events import action, ms, view

ZONE = "Europe/Lisbon"
FROM = "2026-03-01T00:00:00Z"
TO = "2026-11-01T00:00:00Z"
GOOGLE = {"referrer": "https://google.com", "utm_source": "google", "utm_medium": "cpc"}


def first_batch() -> list[dict[str, Any]]:
    return [
        # 30:00.000 continues, 30:00.001 splits.
        view("gap", "2026-03-02T10:00:00Z", "/home", device="desktop", **GOOGLE),
        view("gap", "2026-03-02T10:30:00Z", "/pricing", device="desktop"),
        view("gap", "2026-03-02T11:00:00.001Z", "/docs", device="mobile", country="PT"),
        # A client session id across a 50-minute pause; its visitor's event without one is a
        # session of its own.
        view("sid", "2026-03-02T12:00:00Z", "/home", session_id="s-1", browser="firefox"),
        view("sid", "2026-03-02T12:50:00Z", "/pricing", session_id="s-1", browser="firefox"),
        view("sid", "2026-03-02T12:20:00Z", "/blog", browser="chrome"),
        # Across an hour boundary.
        view("hour", "2026-03-02T13:50:00Z", "/home", os="linux"),
        view("hour", "2026-03-02T14:10:00Z", "/docs", os="linux"),
        # Across the Lisbon fall-back: 01:50 WEST then 01:10 WET, 20 minutes apart.
        view("dst", "2026-10-25T00:50:00Z", "/home", country="PT"),
        view("dst", "2026-10-25T01:10:00Z", "/pricing", country="PT"),
        # Only web.events: a session, not a bounce, no page view.
        action("events", "2026-03-03T09:00:00Z", "play"),
        action("events", "2026-03-03T09:05:00Z", "pause"),
        # A bounce; a single page view with an engaging web.event.
        view("bounce", "2026-03-03T09:00:00Z", "/blog", **GOOGLE),
        view("engaged", "2026-03-03T10:00:00Z", "/home"),
        action("engaged", "2026-03-03T10:01:00Z", "signup"),
        # dnt page views: counted, no visitor, no session (the collector's id stands in).
        view("dnt-a", "2026-03-02T10:05:00Z", "/home", dnt=True),
        view("", "2026-03-02T10:06:00Z", "/pricing", dnt=True),
        # Anonymized addresses (the worker's job) are stored as given.
        view("ip4", "2026-03-04T08:00:00Z", "/home", ip="203.0.113.0"),
        view("ip6", "2026-03-04T08:00:00Z", "/home", ip="2001:db8:85a3::"),
        # Two sessions until the second batch's event joins them.
        view("late", "2026-03-05T15:00:00Z", "/home"),
        view("late", "2026-03-05T15:40:00Z", "/docs"),
        # Another tenant with the same visitor ids.
        view("gap", "2026-03-02T10:10:00Z", "/other", tenant="globex"),
        view("late", "2026-03-05T15:20:00Z", "/other", tenant="globex"),
    ]


def second_batch() -> list[dict[str, Any]]:
    return [view("late", "2026-03-05T15:20:00Z", "/features")]


def window() -> tuple[int, int]:
    return ms(FROM), ms(TO)
