"""A seeded random helpdesk tenant for the breakdown tests, and its figures per group worked
out here from the conversations' own story (METRICS.md §3-4 Helpdesk), without production code."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.families.events import event

START = datetime(2025, 3, 10, tzinfo=UTC)
END = datetime(2025, 3, 12, tzinfo=UTC)
TARGET_S = {"urgent": 15 * 60, "high": 3600, "normal": 4 * 3600, "low": 24 * 3600}
DIMENSIONS = ("channel", "org_unit", "agent", "priority")


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@dataclass(frozen=True)
class Conversation:
    """One conversation's story: all times UTC ms, None for what never happened."""

    id: str
    channel: str
    org_unit: str
    agent: str
    priority: str
    created: int
    reply: int | None
    resolved: int | None
    reopened: int | None
    csat: tuple[int, int] | None  # (time, score)

    def key(self, by: Iterable[str]) -> tuple[str, ...]:
        return tuple(getattr(self, d) for d in by)


def conversations(
    seed: int = 7, count: int = 160, start: datetime = START, hours: int = 20
) -> list[Conversation]:
    """``count`` conversations created in the ``hours`` after ``start``, a few before it."""
    pick = random.Random(seed)
    found = []
    for n in range(count):
        early = n % 10 == 0
        offset = -pick.randrange(1, 6 * 3600) if early else pick.randrange(hours * 3600)
        created = _ms(start) + offset * 1000
        reply = created + pick.randrange(10, 8 * 3600) * 1000 if pick.random() < 0.75 else None
        resolved = reopened = None
        csat = None
        if pick.random() < 0.5:
            resolved = (reply or created) + pick.randrange(60, 3 * 3600) * 1000
            if pick.random() < 0.3:
                reopened = resolved + 1800 * 1000
            if pick.random() < 0.6:
                csat = (resolved + 600 * 1000, pick.randint(1, 5))
        found.append(
            Conversation(
                id=f"k{n:04d}",
                channel=pick.choice(("email", "whatsapp")),
                org_unit=pick.choice(("north", "south")),
                agent=pick.choice(("ana", "bo", "cy")),
                priority=pick.choice(tuple(TARGET_S)),
                created=created,
                reply=reply,
                resolved=resolved,
                reopened=reopened,
                csat=csat,
            )
        )
    return found


def events(story: list[Conversation]) -> list[dict[str, Any]]:
    """The raw events telling ``story``, every one filed under the conversation's values."""
    rows = []
    for c in story:
        common = {"channel": c.channel, "org_unit": c.org_unit, "agent_id": c.agent}
        rows.append(event("conversation.created", c.id, c.created, priority=c.priority, **common))
        if c.reply is not None:
            rows.append(event("message.sent", c.id, c.reply, sender_type="agent", **common))
        if c.resolved is not None:
            rows.append(event("conversation.resolved", c.id, c.resolved, **common))
        if c.reopened is not None:
            rows.append(event("conversation.reopened", c.id, c.reopened, **common))
        if c.csat is not None:
            rows.append(event("csat.submitted", c.id, c.csat[0], score=c.csat[1], **common))
    return rows


# The range [from, to) in UTC ms and the asOf SLA is judged at.
Window = tuple[int, int, int]
RANGE: Window = (_ms(START), _ms(END), _ms(END))


def _inside(at: int | None, window: Window) -> bool:
    return at is not None and window[0] <= at < window[1]


def rank(values: list[int], p: int) -> int:
    return sorted(values)[math.ceil(p / 100 * len(values)) - 1]


def _round(value: Decimal, places: str) -> float:
    return float(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _mean_s(values: list[int]) -> float | None:
    return _round(Decimal(sum(values)) / 1000 / len(values), "0.001") if values else None


def _pct(part: int, whole: int) -> float | None:
    return _round(Decimal(part) * 100 / whole, "0.01") if whole else None


def _breached(c: Conversation, window: Window) -> bool:
    deadline = c.created + TARGET_S[c.priority] * 1000
    no_reply = c.reply is None or c.reply > deadline
    unresolved = c.resolved is None or c.resolved >= deadline
    return _inside(deadline, window) and deadline <= window[2] and no_reply and unresolved


def frts(group: list[Conversation], window: Window = RANGE) -> list[int]:
    return [c.reply - c.created for c in group if c.reply is not None and _inside(c.reply, window)]


def figures(group: list[Conversation], window: Window = RANGE) -> dict[str, Any]:
    """A group's figures over ``window`` (default [START, END) judged at END), as the API names
    them: each lands where METRICS.md puts it (first response at the reply, breach at the
    deadline), the backlog at the window's end."""
    inside = functools.partial(_inside, window=window)
    answered = frts(group, window)
    resolutions = [c.resolved - c.created for c in group if c.resolved and inside(c.resolved)]
    scores = [c.csat[1] for c in group if c.csat and inside(c.csat[0])]
    met = sum(
        1
        for c in group
        if c.reply is not None
        and inside(c.reply)
        and c.reply - c.created <= TARGET_S[c.priority] * 1000
    )
    breached = sum(1 for c in group if _breached(c, window))
    opened = [c.created for c in group] + [c.reopened for c in group if c.reopened]
    closed = [c.resolved for c in group if c.resolved]
    return {
        "conversationsCreated": sum(1 for c in group if inside(c.created)),
        "conversationsResolved": len(resolutions),
        "conversationsReopened": sum(1 for c in group if inside(c.reopened)),
        "firstResponses": len(answered),
        "frtAvgSeconds": _mean_s(answered),
        "frtP50Seconds": rank(answered, 50) / 1000 if answered else None,
        "frtP90Seconds": rank(answered, 90) / 1000 if answered else None,
        "resolutions": len(resolutions),
        "resolutionAvgSeconds": _mean_s(resolutions),
        "resolutionP50Seconds": rank(resolutions, 50) / 1000 if resolutions else None,
        "resolutionP90Seconds": rank(resolutions, 90) / 1000 if resolutions else None,
        "slaMet": met,
        "slaBreached": breached,
        "slaBreachRate": _pct(breached, met + breached),
        "backlog": sum(1 for at in opened if at < window[1])
        - sum(1 for at in closed if at < window[1]),
        "csatResponses": len(scores),
        "csatAvg": _round(Decimal(sum(scores)) / len(scores), "0.001") if scores else None,
        "csatPercent": _pct(sum(1 for s in scores if s >= 4), len(scores)),
    }


def grouped(
    story: list[Conversation], by: tuple[str, ...], keep: Callable[[Conversation], bool]
) -> dict[tuple[str, ...], list[Conversation]]:
    groups: dict[tuple[str, ...], list[Conversation]] = {}
    for c in story:
        if keep(c):
            groups.setdefault(c.key(by), []).append(c)
    return groups
