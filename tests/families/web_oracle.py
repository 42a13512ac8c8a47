"""An independent recomputation of the web figures from raw event rows (plain Python, zoneinfo).

It imports nothing from production: sessions, buckets, filters and breakdowns are rebuilt here
from METRICS.md §4 Web and the choices of families/web/README.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

GAP_MS = 30 * 60_000
SESSION_FIELDS = (
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
)


@dataclass
class Session:
    events: list[dict[str, Any]]

    @property
    def entry(self) -> dict[str, Any]:
        return self.events[0]

    @property
    def start_ms(self) -> int:
        return int(self.entry["occurred_at"])

    @property
    def views(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event_type"] == "web.page_view"]

    @property
    def length_ms(self) -> int:
        return int(self.events[-1]["occurred_at"]) - self.start_ms

    def value(self, dimension: str) -> str:
        if dimension in ("entry_page", "page"):
            return str((self.views or self.events)[0]["url"])
        return str(self.entry[dimension])

    def bounce(self, engaged: Iterable[str]) -> bool:
        names = {e["name"] for e in self.events if e["event_type"] == "web.event"}
        return len(self.views) == 1 and not names & set(engaged)


def _order(e: dict[str, Any]) -> tuple[int, str]:
    return int(e["occurred_at"]), str(e["event_id"])


def _dnt(e: dict[str, Any]) -> bool:
    return e.get("dnt") is True


def sessions(rows: list[dict[str, Any]], tenant: str) -> list[Session]:
    """Every session of ``tenant``: one per (visitor, session_id); the visitor's events without
    one split where consecutive ones are more than 30 minutes apart."""
    by_visitor: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in _unique(rows):
        if e["tenant_id"] == tenant and e["event_type"].startswith("web.") and not _dnt(e):
            by_visitor[(e["visitor_id"], e["session_id"])].append(e)
    found: list[Session] = []
    for (_, session_id), events in by_visitor.items():
        events.sort(key=_order)
        if session_id:
            found.append(Session(events))
            continue
        current = [events[0]]
        for before, after in pairwise(events):
            if int(after["occurred_at"]) - int(before["occurred_at"]) > GAP_MS:
                found.append(Session(current))
                current = []
            current.append(after)
        found.append(Session(current))
    return found


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({(r["tenant_id"], r["event_id"]): r for r in rows}.values())


def bucket_start(at_ms: int, granularity: str, zone: str) -> int:
    """The UTC ms start of the local hour or day holding ``at_ms``."""
    local = datetime.fromtimestamp(at_ms / 1000, tz=UTC).astimezone(ZoneInfo(zone))
    if granularity == "hour":
        start = local.replace(minute=0, second=0, microsecond=0)
        return int(start.timestamp() * 1000)
    midnight = datetime(local.year, local.month, local.day, tzinfo=ZoneInfo(zone))
    return int(midnight.timestamp() * 1000)


@dataclass
class Figures:
    page_views: int = 0
    visitors: set[str] = field(default_factory=set)
    sessions: int = 0
    bounces: int = 0
    length_ms: int = 0


def _session_of(found: list[Session]) -> dict[tuple[str, str], Session]:
    return {(e["tenant_id"], e["event_id"]): s for s in found for e in s.events}


def _matches(e: dict[str, Any], s: Session | None, filters: dict[str, str]) -> bool:
    """An event under ``filters``: page is its own URL (page views only), the rest its
    session's value (a dnt event's own fields)."""
    for dimension, wanted in filters.items():
        if dimension == "page":
            ok = e["event_type"] == "web.page_view" and e["url"] == wanted
        elif s is None:
            ok = e["url" if dimension == "entry_page" else dimension] == wanted
        else:
            ok = s.value(dimension) == wanted
        if not ok:
            return False
    return True


def _session_matches(s: Session, filters: dict[str, str]) -> bool:
    return all(
        any(v["url"] == wanted for v in s.views) if d == "page" else s.value(d) == wanted
        for d, wanted in filters.items()
    )


def figures(
    rows: list[dict[str, Any]],
    tenant: str,
    from_ms: int,
    to_ms: int,
    key: Any,
    engaged: Iterable[str] = (),
    filters: dict[str, str] | None = None,
) -> dict[Any, Figures]:
    """Figures of ``tenant`` in ``[from_ms, to_ms)`` grouped by ``key(kind, event, session)``
    (kind "event" for page views and visitors, "session" for sessions)."""
    filters = filters or {}
    found = sessions(rows, tenant)
    session_of = _session_of(found)
    out: dict[Any, Figures] = defaultdict(Figures)
    for e in _unique(rows):
        at = int(e["occurred_at"])
        if e["tenant_id"] != tenant or not from_ms <= at < to_ms:
            continue
        if not e["event_type"].startswith("web."):
            continue
        s = session_of.get((e["tenant_id"], e["event_id"]))
        if not _matches(e, s, filters):
            continue
        k = key("event", e, s)
        if k is None:
            continue
        if e["event_type"] == "web.page_view":
            out[k].page_views += 1
        if s is not None:
            out[k].visitors.add(e["visitor_id"])
    for s in found:
        if not from_ms <= s.start_ms < to_ms or not _session_matches(s, filters):
            continue
        k = key("session", s.entry, s)
        if k is None:
            continue
        out[k].sessions += 1
        out[k].bounces += s.bounce(engaged)
        out[k].length_ms += s.length_ms
    return out


def by_bucket(granularity: str, zone: str) -> Any:
    return lambda kind, e, s: bucket_start(int(e["occurred_at"]), granularity, zone)


def whole(kind: str, e: dict[str, Any], s: Session | None) -> str:
    return "total"


def by_dimension(dimension: str) -> Any:
    """A breakdown's key: page views of a page under their URL (web.events under none), a
    session under its entry page; any other dimension, the session's value."""

    def key(kind: str, e: dict[str, Any], s: Session | None) -> str | None:
        if dimension == "page" and kind == "event":
            return str(e["url"]) if e["event_type"] == "web.page_view" else None
        if s is None:
            return str(e["url" if dimension in ("page", "entry_page") else dimension])
        return s.value(dimension)

    return key


def counted(f: Figures) -> tuple[int, int, int, int, int]:
    return f.page_views, len(f.visitors), f.sessions, f.bounces, f.length_ms
