"""The web window reader on a real chdb: page views, visitors, sessions, bounce rate, mean length
and active visitors over windows of any alignment, against a sessionization done here."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from pulse.alerts.readings import read
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import RuleFilter
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings
from tests.families.web_events import action, ms, store_web, view

pytestmark = pytest.mark.clickhouse

GAP_MS = 30 * 60_000


def at(clock: str) -> str:
    return f"2026-03-02T{clock}Z"


# v1's session starts before 10:00; v2's runs past the window (a signup event inside); v3 and
# v6 view one page (v6 again 36 minutes later: a second session); v4 views one page and plays a
# video (engaged only when the tenant says so); the dnt view belongs to nobody; globex's is apart.
EVENTS = [
    view("v1", at("09:58")),
    view("v1", at("10:01"), url="/pricing"),
    view("v1", at("10:04")),
    view("v2", at("10:05")),
    action("v2", at("10:06"), "signup"),
    view("v2", at("10:20"), url="/done"),
    view("v3", at("10:09")),
    view("v4", at("10:10")),
    action("v4", at("10:10:30"), "play"),
    view("dnt-1", at("10:11"), dnt=True),
    view("v6", at("10:14:59")),
    view("v6", at("10:51")),
    view("g1", at("10:05"), tenant="globex"),
]


@dataclass
class Session:
    start: int
    end: int
    page_views: int = 0
    names: set[str] = field(default_factory=set)


def sessions() -> list[Session]:
    """acme's non-dnt events split per visitor where more than 30 minutes pass."""
    found: list[Session] = []
    by_visitor: dict[str, list[dict[str, Any]]] = {}
    for e in EVENTS:
        if e["tenant_id"] == "acme" and not e["dnt"]:
            by_visitor.setdefault(e["visitor_id"], []).append(e)
    for events in by_visitor.values():
        current: Session | None = None
        for e in sorted(events, key=lambda e: (e["occurred_at"], e["event_id"])):
            t = e["occurred_at"]
            if current is None or t - current.end > GAP_MS:
                current = Session(t, t)
                found.append(current)
            current.end = t
            if e["event_type"] == "web.page_view":
                current.page_views += 1
            else:
                current.names.add(e["name"])
    return found


def expected(start: int, end: int, engaged: tuple[str, ...]) -> dict[str, Reading]:
    acme = [e for e in EVENTS if e["tenant_id"] == "acme" and start <= e["occurred_at"] < end]
    views = sum(1 for e in acme if e["event_type"] == "web.page_view")
    visitors = len({e["visitor_id"] for e in acme if not e["dnt"]})
    opened = [s for s in sessions() if start <= s.start < end]
    bounces = sum(1 for s in opened if s.page_views == 1 and not s.names & set(engaged))
    n = len(opened)
    rate = Decimal(100 * bounces) / n if n else None
    mean = Decimal(sum(s.end - s.start for s in opened)) / n / 1000 if n else None
    return {
        "page_views": Reading(float(views), views),
        "visitors": Reading(float(visitors), visitors),
        "sessions": Reading(float(n), n),
        "bounce_rate": Reading(_rounded(rate, "0.01"), n),
        "avg_session_seconds": Reading(_rounded(mean, "0.001"), n),
    }


def _rounded(value: Decimal | None, places: str) -> float | None:
    return None if value is None else float(value.quantize(Decimal(places), ROUND_HALF_UP))


@pytest.fixture
def web_db(db: ClickHouse) -> ClickHouse:
    store_web(db, EVENTS)
    return db


@pytest.mark.parametrize("engaged", [(), ("play",)])
@pytest.mark.parametrize(
    ("start", "end"),
    [("10:00", "10:15"), ("10:07", "10:12"), ("09:50", "10:05"), ("11:00", "11:05")],
)
def test_web_figures_over_a_window(
    web_db: ClickHouse, start: str, end: str, engaged: tuple[str, ...]
) -> None:
    """Every web figure over a window, sessions in the window of their first event, matches."""
    tenant = TenantSettings(engaged_events=engaged)
    want = expected(ms(at(start)), ms(at(end)), engaged)
    for metric, reading in want.items():
        got = read(web_db, "acme", metric, RuleFilter(), ms(at(start)), ms(at(end)), tenant=tenant)
        assert (metric, got) == (metric, reading)


@pytest.mark.parametrize("end", ["10:06", "10:12", "10:14:59", "10:30"])
def test_active_visitors_at_the_windows_end(web_db: ClickHouse, end: str) -> None:
    """Active visitors are the distinct non-dnt visitors seen in the 5 minutes up to the end."""
    instant = ms(at(end))
    active = {
        e["visitor_id"]
        for e in EVENTS
        if e["tenant_id"] == "acme"
        and not e["dnt"]
        and instant - 300_000 < e["occurred_at"] <= instant
    }
    got = read(web_db, "acme", "active_visitors", RuleFilter(), instant - 60_000, instant)
    assert got == Reading(float(len(active)), len(active))
