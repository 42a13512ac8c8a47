"""Checks of the arguments every family's queries share: instants, windows, time zones."""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from datetime import UTC, datetime, timedelta

from pulse.graphql.errors import InvalidArgumentError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TENANT_HELP = "Defaults to the token's tenant; any other tenant is refused."


def epoch_ms(name: str, at: datetime) -> int:
    """``at`` in milliseconds since the epoch; it must carry an offset to name an instant."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidArgumentError(
            f"'{name}' has no UTC offset, so it names no instant.",
            suggestion="Write it with an offset, e.g. 2025-03-01T00:00:00Z or …T00:00:00-05:00.",
            argument=name,
        )
    return (at - EPOCH) // timedelta(milliseconds=1)


def window_ms(from_: datetime, to: datetime) -> tuple[int, int]:
    """``[from, to)`` in epoch milliseconds; refused unless ``from`` is before ``to``."""
    from_ms, to_ms = epoch_ms("from", from_), epoch_ms("to", to)
    if from_ms >= to_ms:
        raise InvalidArgumentError(
            "'from' must be before 'to'.",
            suggestion="Buckets are selected by start in [from, to); swap or widen them.",
        )
    return from_ms, to_ms


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone(name: str, argument: str = "timeZone") -> str:
    """``name`` if it is an IANA zone; else an error suggesting the closest one."""
    if name in _zones():
        return name
    close = difflib.get_close_matches(name, sorted(_zones()), n=1, cutoff=0.6)
    hint = f"Did you mean '{close[0]}'? " if close else ""
    raise InvalidArgumentError(
        f"'{argument}' {name!r} is not an IANA time zone.",
        suggestion=f"{hint}Use a name of the IANA database, e.g. Europe/Lisbon or Asia/Kolkata.",
        argument=argument,
    )
