"""Retention windows ("90d", "24M") and the policy that gives each tenant its window per kind.

A window counts back from now: hours ``h``, days ``d``, weeks ``w`` in exact durations; months
``M`` and years ``y`` in calendar months of UTC (24M before 2026-03-31 is 2024-03-31, and before
a 31st in a shorter month, that month's last day), as a person reading "24 months" expects. A row
is kept while its event time is at or after ``now - window``: only rows strictly older go.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from pulse.privacy.errors import BadPrivacyRequestError

# The kinds of data a window applies to (README "Privacy", retention table).
RETENTION_KINDS = ("raw", "aggregates", "csat", "dead_letters")

_WINDOW = re.compile(r"(\d+)([hdwMy])")
_EXACT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@dataclass(frozen=True)
class Window:
    """``amount`` of ``unit`` (one of h, d, w, M, y)."""

    amount: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> Window:
        found = _WINDOW.fullmatch(text.strip())
        if found is None or int(found.group(1)) <= 0:
            raise BadPrivacyRequestError(
                f"{text!r} is not a retention window (a positive number and h, d, w, M or y,"
                " e.g. 90d or 24M)",
                value=text,
            )
        return cls(int(found.group(1)), found.group(2))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def cutoff_ms(self, now_ms: int) -> int:
        """The oldest instant still inside the window that ends at ``now_ms``."""
        now = datetime.fromtimestamp(now_ms / 1000, UTC)
        if self.unit in _EXACT:
            return now_ms - int(self.amount * _EXACT[self.unit] / timedelta(milliseconds=1))
        months = self.amount * (12 if self.unit == "y" else 1)
        index = now.year * 12 + now.month - 1 - months
        year, month = divmod(index, 12)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        return int(now.replace(year=year, month=month + 1, day=day).timestamp() * 1000)


def parse_windows(text: str) -> dict[str, Window]:
    """``raw=90d,aggregates=24M`` as windows by kind; unknown kinds are refused."""
    windows: dict[str, Window] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, sep, value = part.partition("=")
        if not sep or kind not in RETENTION_KINDS:
            raise BadPrivacyRequestError(
                f"{part!r} is not KIND=WINDOW with KIND one of {', '.join(RETENTION_KINDS)}",
                value=part,
            )
        windows[kind] = Window.parse(value)
    return windows


def format_windows(windows: Mapping[str, Window]) -> str:
    return ",".join(f"{kind}={windows[kind]}" for kind in RETENTION_KINDS if kind in windows)


@dataclass(frozen=True)
class RetentionPolicy:
    """The default window of every kind, and the tenants' own windows where they set one."""

    defaults: Mapping[str, Window]
    tenants: Mapping[str, Mapping[str, Window]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [k for k in RETENTION_KINDS if k not in self.defaults]
        if missing:
            raise BadPrivacyRequestError(f"no default retention for {missing[0]}", kind=missing[0])
        object.__setattr__(self, "tenants", MappingProxyType(dict(self.tenants)))

    def window(self, tenant_id: str, kind: str) -> Window:
        return self.tenants.get(tenant_id, {}).get(kind) or self.defaults[kind]

    def overridden(self, kind: str) -> list[str]:
        """Tenants with a window of their own for ``kind``."""
        return sorted(t for t, windows in self.tenants.items() if kind in windows)
