"""A seeded random tenant of messages for the breakdown tests, and expectations counted from its
events alone (no production code)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tests.graphql.conftest import raw

ZONE = "America/Sao_Paulo"
# Two local days of the zone (UTC-3).
START = datetime(2025, 3, 10, 3, tzinfo=UTC)
END = datetime(2025, 3, 12, 3, tzinfo=UTC)
KINDS = ("sent", "delivered", "read", "clicked", "failed", "received")
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
CHANNELS = ("email", "sms", "whatsapp", "push")
UNITS = ("north", "south", "east", "")
CAMPAIGNS = ("", "spring", "summer", "autumn")

Event = dict[str, Any]
Key = tuple[str | None, ...]


def events(seed: int = 11, count: int = 900) -> list[Event]:
    """``count`` messages of acme in the range, a few just outside it, and globex's."""
    pick = random.Random(seed)
    found = []
    span = int((END - START).total_seconds())
    for _ in range(count):
        at = START + timedelta(seconds=pick.randrange(span))
        found.append(
            raw(
                f"message.{pick.choice(KINDS)}",
                at,
                pick.choice(CHANNELS),
                org_unit=pick.choice(UNITS),
                campaign_id=pick.choice(CAMPAIGNS),
            )
        )
    # A group with nothing delivered: its read and click rates are null.
    found += [raw("message.sent", START, "voice", campaign_id="winter") for _ in range(3)]
    outside = (START - timedelta(minutes=15), END, END + timedelta(hours=5))
    found += [raw("message.sent", at, "email", org_unit="north") for at in outside]
    found += [raw("message.sent", START, "email", "globex", org_unit="north") for _ in range(40)]
    return found


def _inside(event: Event) -> bool:
    at = datetime.fromtimestamp(event["occurred_at"] / 1000, UTC)
    return event["tenant_id"] == "acme" and START <= at < END


def local_day(event: Event) -> str:
    at = datetime.fromtimestamp(event["occurred_at"] / 1000, UTC)
    return at.astimezone(ZoneInfo(ZONE)).date().isoformat()


def field(name: str) -> Callable[[Event], str]:
    return lambda event: str(event[name])


def grouped(rows: Iterable[Event], *keys: Callable[[Event], str]) -> dict[Key, Counter[str]]:
    """Counts of acme's messages in the range by the values ``keys`` read ('' as None)."""
    groups: dict[Key, Counter[str]] = defaultdict(Counter)
    for event in rows:
        if _inside(event):
            key = tuple(k(event) or None for k in keys)
            groups[key][event["event_type"].removeprefix("message.")] += 1
    return groups


def rate(numerator: int, denominator: int) -> float | None:
    if denominator == 0:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def figures(counts: Counter[str]) -> dict[str, Any]:
    """The counts and rates of one group as the API names them."""
    found: dict[str, Any] = {c: counts[c] for c in COUNTS}
    found["deliveryRate"] = rate(counts["delivered"], counts["sent"])
    found["readRate"] = rate(counts["read"], counts["delivered"])
    found["clickRate"] = rate(counts["clicked"], counts["delivered"])
    found["failureRate"] = rate(counts["failed"], counts["sent"])
    return found


def ranked(
    groups: dict[Key, Counter[str]], figure: Callable[[Counter[str]], float | None], desc: bool
) -> list[Key]:
    """Keys by ``figure`` (nulls last), ties by key ascending ('' before any value)."""

    def order(key: Key) -> tuple[Any, ...]:
        value = figure(groups[key])
        signed = 0.0 if value is None else (-value if desc else value)
        return (value is None, signed, tuple(k or "" for k in key))

    return sorted(groups, key=order)
