"""A plain recomputation of the spine's metrics from the input, following METRICS.md.

Written independently of the pipeline (no import from pulse.streams): dictionaries, sorted lists,
zoneinfo. The end-to-end tests compare the GraphQL answers with what this computes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

COUNTERS = {
    "message.sent": "sent",
    "message.delivered": "delivered",
    "message.read": "read",
    "message.clicked": "clicked",
    "message.failed": "failed",
    "message.complained": "complained",
    "message.unsubscribed": "unsubscribed",
    "message.received": "received",
}


def parse_instant(text: str) -> datetime:
    """ISO-8601 with offset → aware UTC datetime truncated to milliseconds."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def bucket_start(at: datetime, tz: str, granularity: str) -> datetime:
    """The UTC instant at which the local bucket holding ``at`` starts."""
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    if granularity == "hour":
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    day = local.date()
    if granularity == "week":
        day = day - timedelta(days=day.weekday())
    elif granularity == "month":
        day = date(day.year, day.month, 1)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def rate(numerator: int, denominator: int) -> float | None:
    if denominator == 0:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def mean_seconds(values_ms: list[int]) -> float:
    value = Decimal(sum(values_ms)) / Decimal(len(values_ms)) / 1000
    return float(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def nearest_rank_seconds(values_ms: list[int], p: int) -> float:
    ordered = sorted(values_ms)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1] / 1000


@dataclass
class Conversation:
    created: datetime | None = None
    channel: str = ""
    replies: list[datetime] = field(default_factory=list)


@dataclass
class Expected:
    """Per tenant: counters[granularity][(bucket_start, channel)] and FRT values by bucket, in
    the tenants' ``zones``."""

    zones: Mapping[str, str]
    counters: dict[str, dict[str, dict[tuple[datetime, str], dict[str, int]]]]
    frt: dict[str, dict[str, dict[tuple[datetime, str], list[int]]]]

    def messaging(
        self,
        tenant: str,
        granularity: str,
        start: datetime,
        end: datetime,
        channel: str | None = None,
    ) -> tuple[list[tuple[datetime, datetime, dict[str, object]]], dict[str, object]]:
        """Every bucket of the zone starting in ``[start, end)`` (zeros and nulls when empty)
        with its counts, rates and FRT, as the API should answer them, and the range's totals."""
        counts: dict[datetime, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(COUNTERS.values(), 0)
        )
        for (at, ch), values in self.counters[tenant][granularity].items():
            if channel is None or ch == channel:
                for name, n in values.items():
                    counts[at][name] += n
        frts: dict[datetime, list[int]] = defaultdict(list)
        for (at, ch), answered in self.frt[tenant][granularity].items():
            if channel is None or ch == channel:
                frts[at].extend(answered)
        grid = bucket_grid(self.zones.get(tenant, "UTC"), granularity, start, end)
        buckets = [(s, e, figures(counts[s], frts.get(s, []))) for s, e in grid]
        total = dict.fromkeys(COUNTERS.values(), 0)
        total_frt: list[int] = []
        for s, _ in grid:
            for name in total:
                total[name] += counts[s][name]
            total_frt.extend(frts.get(s, []))
        return buckets, figures(total, total_frt)


def figures(c: Mapping[str, int], frt_ms: list[int]) -> dict[str, object]:
    """Counts, METRICS.md's rates and the FRT figures of one bucket or range."""
    row: dict[str, object] = dict(c)
    row["delivery_rate"] = rate(c["delivered"], c["sent"])
    row["read_rate"] = rate(c["read"], c["delivered"])
    row["click_rate"] = rate(c["clicked"], c["delivered"])
    row["failure_rate"] = rate(c["failed"], c["sent"])
    row["frt_conversations"] = len(frt_ms)
    row["frt_avg_seconds"] = mean_seconds(frt_ms) if frt_ms else None
    row["frt_p50_seconds"] = nearest_rank_seconds(frt_ms, 50) if frt_ms else None
    row["frt_p90_seconds"] = nearest_rank_seconds(frt_ms, 90) if frt_ms else None
    return row


def recompute(events: Iterable[Mapping[str, object]], zones: Mapping[str, str]) -> Expected:
    """Deduplicate by (tenant_id, event_id), keep the first, and compute the spine's metrics."""
    seen: set[tuple[str, str]] = set()
    grans = ("hour", "day", "week", "month")
    counters: dict[str, dict[str, dict[tuple[datetime, str], dict[str, int]]]] = defaultdict(
        lambda: {g: defaultdict(lambda: dict.fromkeys(COUNTERS.values(), 0)) for g in grans}
    )
    conversations: dict[tuple[str, str], Conversation] = defaultdict(Conversation)
    for event in events:
        tenant, event_id = str(event["tenant_id"]), str(event["event_id"])
        if (tenant, event_id) in seen:
            continue
        seen.add((tenant, event_id))
        at = parse_instant(str(event["occurred_at"]))
        event_type = str(event["event_type"])
        tz = zones.get(tenant, "UTC")
        if event_type in COUNTERS:
            for g in grans:
                key = (bucket_start(at, tz, g), str(event["channel"]))
                counters[tenant][g][key][COUNTERS[event_type]] += 1
        conv_id = event.get("conversation_id")
        if conv_id is None:
            continue
        conv = conversations[(tenant, str(conv_id))]
        if event_type == "conversation.created" and (conv.created is None or at < conv.created):
            conv.created, conv.channel = at, str(event["channel"])
        elif event_type == "message.sent" and event.get("sender_type") == "agent":
            conv.replies.append(at)
    frt: dict[str, dict[str, dict[tuple[datetime, str], list[int]]]] = defaultdict(
        lambda: {g: defaultdict(list) for g in grans}
    )
    for (tenant, _), conv in conversations.items():
        if conv.created is None:
            continue
        answers = [r for r in conv.replies if r >= conv.created]
        if not answers:
            continue
        first = min(answers)
        frt_ms = round((first - conv.created).total_seconds() * 1000)
        tz = zones.get(tenant, "UTC")
        for g in grans:
            frt[tenant][g][(bucket_start(first, tz, g), conv.channel)].append(frt_ms)
    return Expected(zones=dict(zones), counters=counters, frt=frt)


def next_bucket_start(start: datetime, tz: str, granularity: str) -> datetime:
    """The UTC instant at which the local bucket after the one starting at ``start`` starts."""
    if granularity == "hour":
        # A local clock hour lasts one real hour in the zones we test (offsets move by whole hours).
        return start + timedelta(hours=1)
    zone = ZoneInfo(tz)
    day = start.astimezone(zone).date()
    if granularity == "day":
        day += timedelta(days=1)
    elif granularity == "week":
        day += timedelta(days=7)
    else:
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def bucket_grid(
    tz: str, granularity: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Every bucket ``[s, e)`` of the zone whose start ``s`` lies in ``[start, end)``, in order."""
    s = bucket_start(start, tz, granularity)
    if s < start:
        s = next_bucket_start(s, tz, granularity)
    grid: list[tuple[datetime, datetime]] = []
    while s < end:
        e = next_bucket_start(s, tz, granularity)
        grid.append((s, e))
        s = e
    return grid
