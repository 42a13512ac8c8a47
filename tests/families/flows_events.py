"""Workflow, sequence and automation events as ``events_raw`` rows, and an independent oracle:
local buckets from zoneinfo and percentages from :mod:`decimal`, no production bucketing."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pulse.families.helpdesk.model import Bucket
from pulse.sinks.clickhouse import ClickHouse

COLUMNS = [
    "tenant_id",
    "event_id",
    "event_type",
    "occurred_at",
    "channel",
    "workflow_id",
    "run_id",
    "sequence_id",
    "enrollment_id",
    "step_number",
    "flow_id",
    "name",
    "source_topic",
    "source_partition",
    "source_offset",
    "ingested_at",
]
_IDS = itertools.count(1)
Row = dict[str, Any]


def ms(text: str) -> int:
    """An ISO-8601 instant with its offset, in UTC milliseconds."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def ev(kind: str, at: str | int, tenant: str = "acme", **fields: Any) -> Row:
    """One ``events_raw`` row of type ``kind``; ``at`` is ISO-8601 or UTC ms."""
    instant = ms(at) if isinstance(at, str) else at
    row: Row = dict.fromkeys(COLUMNS, "")
    row.update(
        tenant_id=tenant,
        event_id=f"f{next(_IDS):06d}",
        event_type=kind,
        occurred_at=instant,
        step_number=None,
        source_topic="pulse.events.outreach",
        source_partition=0,
        source_offset=0,
        ingested_at=instant,
    )
    row.update(fields)
    return row


def insert(db: ClickHouse, rows: list[Row]) -> None:
    """Insert ``rows`` into ``events_raw`` as one block."""
    db.insert("events_raw", rows, COLUMNS)


def question_grid(start: str, end: str, granularity: str, zone: str) -> tuple[Bucket, ...]:
    """The local buckets starting in ``[start, end)``, found by walking 15-minute steps (every
    zone's offsets are whole quarters of an hour) to the next bucket after ``end``."""
    step = 15 * 60_000
    starts: list[int] = []
    at = ms(start)
    while not starts or starts[-1] < ms(end):
        begin = local_start(at, granularity, zone)
        if begin >= ms(start) and (not starts or begin != starts[-1]):
            starts.append(begin)
        at += step
    offset = 0  # unused by the queries
    return tuple(Bucket(a, b, offset) for a, b in itertools.pairwise(starts))


def local_start(at_ms: int, granularity: str, zone: str) -> int:
    """The UTC ms start of the local bucket holding ``at_ms``, by zoneinfo."""
    tz = ZoneInfo(zone)
    local = datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(tz)
    if granularity == "hour":
        start = local.replace(minute=0, second=0, microsecond=0)
        return int(start.timestamp() * 1000)
    day = local.date()
    if granularity == "week":
        day -= timedelta(days=day.weekday())
    elif granularity == "month":
        day = day.replace(day=1)
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)


def pct(numerator: int, denominator: int) -> float | None:
    """METRICS.md §4: times 100, half away from zero, 2 decimals; None for a zero denominator."""
    if denominator == 0:
        return None
    value = Decimal(numerator) * 100 / Decimal(denominator)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def unique(rows: Iterable[Row]) -> list[Row]:
    """Each ``(tenant_id, event_id)`` once: what ``FINAL`` reads."""
    seen: dict[tuple[str, str], Row] = {}
    for row in rows:
        seen.setdefault((row["tenant_id"], row["event_id"]), row)
    return list(seen.values())


def per_bucket(
    rows: Iterable[Row],
    buckets: tuple[Bucket, ...],
    granularity: str,
    zone: str,
    keep: Callable[[Row], bool],
) -> tuple[list[Counter[str]], Counter[str]]:
    """Event types counted per bucket (by local start) and over the buckets' span."""
    index = {b.start_ms: i for i, b in enumerate(buckets)}
    counts: list[Counter[str]] = [Counter() for _ in buckets]
    total: Counter[str] = Counter()
    for row in unique(rows):
        if not keep(row) or not buckets[0].start_ms <= row["occurred_at"] < buckets[-1].end_ms:
            continue
        counts[index[local_start(row["occurred_at"], granularity, zone)]][row["event_type"]] += 1
        total[row["event_type"]] += 1
    return counts, total


def open_entities(
    rows: Iterable[Row], as_of: int, key: Callable[[Row], tuple[str, str]], opening: str
) -> Counter[str]:
    """Per group: entities opened at or before ``as_of`` and not closed by then (any other type
    of ``rows`` closes)."""
    opened: set[tuple[str, str]] = set()
    closed: set[tuple[str, str]] = set()
    for row in unique(rows):
        if row["occurred_at"] <= as_of:
            (opened if row["event_type"] == opening else closed).add(key(row))
    return Counter(group for group, _ in opened - closed)
