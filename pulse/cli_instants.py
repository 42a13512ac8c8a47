"""Instants typed on a command line (``pulse dlq --since``, ``pulse recalc --from``)."""

from __future__ import annotations

from datetime import UTC, datetime

from pulse.errors import PulseError


def parse_option_instant(text: str, option: str, error: type[PulseError]) -> int:
    """Milliseconds since the epoch of an ISO-8601 date or date-time; UTC unless it has a zone.
    ``error`` (the command's own) names the option and the value when ``text`` is none."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise error(
            f"{option} {text!r} is not an ISO-8601 date or date-time "
            "(e.g. 2026-11-30 or 2026-11-30T12:00:00Z)",
            option=option,
            value=text,
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)
