"""How long to wait before the next attempt: exponential backoff with full jitter, and 429s.

Attempt ``n`` failed: wait a uniform random time in ``[0, min(max, base * 2^(n-1))]`` (full
jitter spreads retries of many notifications so a recovering receiver is not hit at once), or
the whole bound with jitter off. A 429's ``Retry-After`` (seconds or an HTTP date) is a floor,
capped at the maximum so a hostile header cannot park a destination forever.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pulse.settings import AlertSettings


def backoff_seconds(
    settings: AlertSettings, failed_attempt: int, rng: random.Random | None = None
) -> float:
    bound = min(
        settings.max_backoff_seconds,
        settings.base_backoff_seconds * 2.0 ** max(failed_attempt - 1, 0),
    )
    if not settings.jitter:
        return bound
    return float((rng or random).uniform(0, bound))


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """The header's delay in seconds, or None if it is absent or unreadable."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        at = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max((at - now).total_seconds(), 0.0)


def wait_after(
    settings: AlertSettings,
    failed_attempt: int,
    retry_after: float | None,
    rng: random.Random | None = None,
) -> float:
    wait = backoff_seconds(settings, failed_attempt, rng)
    if retry_after is not None:
        wait = max(wait, min(retry_after, settings.max_backoff_seconds))
    return wait
