"""``pulse recalc`` within raw retention: derived rows outlive the raw events they came from, so
recomputing a range whose raw events expired would zero figures that are right.

A request is narrowed to start at :func:`~pulse.privacy.retention.recalc_floor_ms` (saying so),
and refused when all of it lies before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from pulse.families.recalc import BadRecalcRequestError, RecalcRequest
from pulse.privacy.retention import recalc_floor_ms
from pulse.privacy.windows import RetentionPolicy


def within_raw_retention(
    request: RecalcRequest, policy: RetentionPolicy, now_ms: int
) -> tuple[RecalcRequest, str | None]:
    """``request`` narrowed to what raw retention still holds, and a note when it was."""
    floor = recalc_floor_ms(policy, request.tenant_id, now_ms)
    whose = f"tenant {request.tenant_id}'s" if request.tenant_id else "some tenant's"
    if request.to_ms is not None and request.to_ms <= floor:
        raise BadRecalcRequestError(
            f"the range ends before {_iso(floor)}: {whose} raw events before then may have"
            " expired (raw retention), and recomputing would zero the derived rows kept for it",
            floor=_iso(floor),
        )
    if request.from_ms is not None and request.from_ms >= floor:
        return request, None
    note = (
        f"note: recomputing from {_iso(floor)} only: {whose} raw events before then may have"
        " expired (raw retention); derived rows before then are kept as they are"
    )
    return replace(request, from_ms=floor), note


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()
