"""Strict ISO-8601 instants (METRICS.md §4) to and from integer milliseconds since the epoch (UTC).

Accepted: ``YYYY-MM-DDTHH:MM:SS`` + 0..6 fractional digits + a mandatory ``Z`` or ``±HH:MM``
offset, extended form only (no week dates, no ``T``-less or lowercase forms, no leap seconds).
Digits past the millisecond are truncated: the instant is floored to its millisecond, which for
a positive fraction is the same as dropping the digits, whatever the sign of the epoch offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,6}))?(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))",
    re.ASCII,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def parse_iso_ms(text: str) -> int | None:
    """Milliseconds since the epoch of ``text``, or None when it is not a strict ISO instant."""
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = match.groups()
    micros = int(frac.ljust(6, "0")) if frac else 0
    if zulu:
        tz = UTC
    else:
        if int(off_h) > 23 or int(off_m) > 59:
            return None
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        instant = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            micros - micros % 1000,
            tzinfo=tz,
        )
    except ValueError:
        return None
    return (instant - _EPOCH) // _MS


def format_iso_ms(ms: int, offset_minutes: int = 0) -> str:
    """The ISO-8601 text of ``ms`` written in a zone ``offset_minutes`` east of UTC."""
    tz = UTC if offset_minutes == 0 else timezone(timedelta(minutes=offset_minutes))
    return (_EPOCH + ms * _MS).astimezone(tz).isoformat(timespec="milliseconds")
