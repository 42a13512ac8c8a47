"""First-response targets by priority, and the durations operators write them in (``10m``).

A duration is a whole positive number and one unit: ``s`` seconds, ``m`` minutes, ``h`` hours,
``d`` days (``90s``, ``10m``, ``2h``, ``1d``). Targets are kept in milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pulse.families.helpdesk.model import DEFAULT_SLA_MS, PRIORITIES
from pulse.topics.errors import TenantSettingsError

UNIT_MS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000}
# A target past a year is a typo, and it keeps creation + target far inside Int64 milliseconds.
MAX_TARGET_MS = 365 * UNIT_MS["d"]

_DURATION = re.compile(r"([0-9]{1,12})([smhd])")


def parse_duration(text: str) -> int:
    """Milliseconds of ``text`` (``90s``, ``10m``, ``2h``, ``1d``); TenantSettingsError if not."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise TenantSettingsError(
            f"bad duration {text!r}: write a whole number and a unit s, m, h or d (e.g. 10m)",
            field="sla",
            value=text,
        )
    return check_target("duration", int(match[1]) * UNIT_MS[match[2]])


def format_duration(ms: int) -> str:
    """``ms`` in the largest unit that divides it exactly (``600000`` → ``10m``)."""
    for unit, size in UNIT_MS.items():
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def check_target(priority: str, ms: int) -> int:
    if not 0 < ms <= MAX_TARGET_MS:
        raise TenantSettingsError(
            f"SLA target of {priority} must be more than 0 and at most 365d, not {ms} ms",
            field="sla",
            value=ms,
        )
    return ms


def check_priority(priority: str) -> str:
    if priority not in PRIORITIES:
        raise TenantSettingsError(
            f"unknown priority {priority!r}: use {', '.join(PRIORITIES)}",
            field="sla",
            value=priority,
        )
    return priority


def parse_sla(text: str) -> dict[str, int]:
    """``urgent=10m,high=30m`` → milliseconds by priority, the unnamed ones at their defaults."""
    targets = dict(DEFAULT_SLA_MS)
    named: set[str] = set()
    for item in text.split(","):
        priority, sep, duration = item.partition("=")
        if not sep:
            raise TenantSettingsError(
                f"bad SLA item {item!r}: write priority=duration, e.g. urgent=10m",
                field="sla",
                value=item,
            )
        priority = check_priority(priority.strip())
        if priority in named:
            raise TenantSettingsError(
                f"priority {priority!r} is named twice", field="sla", value=priority
            )
        named.add(priority)
        targets[priority] = parse_duration(duration)
    return targets


def format_sla(targets: Mapping[str, int]) -> str:
    """The inverse of :func:`parse_sla`, most urgent first."""
    return ",".join(f"{p}={format_duration(targets[p])}" for p in reversed(PRIORITIES))
