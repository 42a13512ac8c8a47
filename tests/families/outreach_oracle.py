"""An independent recomputation of the campaign, template and traffic figures from the events
themselves, in plain Python (zoneinfo for local clocks; no production code).

Events are dicts with ``tenant_id``, ``event_id``, ``event_type``, ``occurred_at`` (UTC ms),
``channel``, ``org_unit``, ``campaign_id``, ``template_id`` and ``name``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

Event = Mapping[str, Any]
COUNTS = (
    "sent",
    "delivered",
    "read",
    "clicked",
    "failed",
    "complained",
    "unsubscribed",
    "received",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def pct(numerator: int, denominator: int) -> float | None:
    """Percent, half away from zero to 2 decimals; None over 0."""
    if denominator == 0:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rates(c: Mapping[str, int]) -> dict[str, float | None]:
    return {
        "deliveryRate": pct(c["delivered"], c["sent"]),
        "readRate": pct(c["read"], c["delivered"]),
        "clickRate": pct(c["clicked"], c["delivered"]),
        "failureRate": pct(c["failed"], c["sent"]),
    }


def _kept(
    events: Iterable[Event], tenant: str, from_ms: int, to_ms: int, channel: str | None
) -> Iterable[Event]:
    seen: set[str] = set()
    for e in events:
        if e["tenant_id"] != tenant or not from_ms <= e["occurred_at"] < to_ms:
            continue
        if channel is not None and e["channel"] != channel:
            continue
        if e["event_id"] in seen:
            continue
        seen.add(e["event_id"])
        yield e


def counts_by(
    events: Iterable[Event],
    column: str,
    tenant: str,
    from_ms: int,
    to_ms: int,
    channel: str | None = None,
) -> dict[str, dict[str, int]]:
    """Per non-empty ``column`` value, the eight message counts."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for e in _kept(events, tenant, from_ms, to_ms, channel):
        kind = e["event_type"].removeprefix("message.")
        if e["event_type"].startswith("message.") and e[column]:
            out[e[column]][kind] += 1
    return dict(out)


def ranked(
    rows: Mapping[str, Mapping[str, int]],
    figure: Callable[[Mapping[str, int]], float | None],
    limit: int,
    largest: bool,
) -> list[str]:
    """Ids by figure (largest or smallest first), None left out, ties by id ascending."""
    scored = [(f, i) for i, c in rows.items() if (f := figure(c)) is not None]
    scored.sort(key=lambda p: ((-p[0] if largest else p[0]), p[1]))
    return [i for _, i in scored[:limit]]


def started_completed(
    events: Iterable[Event], tenant: str, from_ms: int, to_ms: int, channel: str | None = None
) -> tuple[int, int]:
    """Distinct campaign ids with a campaign.started / campaign.completed in the range."""
    kept = list(_kept(events, tenant, from_ms, to_ms, channel))
    started = {e["campaign_id"] for e in kept if e["event_type"] == "campaign.started"}
    completed = {e["campaign_id"] for e in kept if e["event_type"] == "campaign.completed"}
    return len(started), len(completed)


def name_of(events: Iterable[Event], tenant: str, campaign: str, to_ms: int) -> str | None:
    """The name of the latest (occurred_at, event_id) named campaign.started before ``to_ms``."""
    named = [
        (e["occurred_at"], e["event_id"], e["name"])
        for e in events
        if e["tenant_id"] == tenant
        and e["event_type"] == "campaign.started"
        and e["campaign_id"] == campaign
        and e["name"]
        and e["occurred_at"] < to_ms
    ]
    return max(named)[2] if named else None


def traffic(
    events: Iterable[Event],
    tenant: str,
    from_ms: int,
    to_ms: int,
    zone: str,
    channel: str | None = None,
) -> tuple[list[int], list[int], list[int]]:
    """(24 hourly counts, 7 weekday counts Monday first, peak hours) of sent + received."""
    tz = ZoneInfo(zone)
    hours = [0] * 24
    days = [0] * 7
    for e in _kept(events, tenant, from_ms, to_ms, channel):
        if e["event_type"] in ("message.sent", "message.received"):
            local = datetime.fromtimestamp(e["occurred_at"] / 1000, UTC).astimezone(tz)
            hours[local.hour] += 1
            days[local.weekday()] += 1
    by_count = Counter({h: n for h, n in enumerate(hours) if n})
    peaks = sorted(by_count, key=lambda h: (-by_count[h], h))[:3]
    return hours, days, peaks
