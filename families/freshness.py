"""How fresh an answer is: the newest event stored for its tenant, and which buckets are final.

Every family's answer type inherits :class:`Fresh` (a ``freshness`` field) and every bucket type
:class:`ProvisionalBucket` (a ``provisional`` field), so the definition lives here once.

The stream accepts an event however late (docs/ARCHITECTURE.md), so "final" is a promise about
the usual, not a guarantee: a bucket is **final** once the tenant's newest stored event is more
than the late window (``PULSE_API_LATE_WINDOW_SECONDS``) past the bucket's end, and
**provisional** until then. Measuring from the newest stored event rather than the clock keeps
a pipeline that runs behind (or a tenant whose events are in flight) from calling its buckets
final too early; an event later than the window is still stored, and changes a final bucket,
as ``pulse recalc`` would. A tenant with no events has no final bucket.

The newest event time is the sink's (``pulse:rt:newest`` in Redis, see
``pulse.sinks.realtime``), read once per request and only when a field asks for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.graphql.arguments import EPOCH
from pulse.graphql.context import ApiContext


def instant(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


@dataclass(frozen=True)
class TenantFreshness:
    newest_ms: int | None
    final_before_ms: int | None

    def provisional(self, end_ms: int) -> bool:
        return self.final_before_ms is None or end_ms > self.final_before_ms


def judge(newest_ms: int | None, now_ms: int, late_window_ms: int) -> TenantFreshness:
    """Buckets ending at or before the newest event (no later than now) less the window are
    final; an event stamped in the future (clock skew) moves nothing past now."""
    if newest_ms is None:
        return TenantFreshness(None, None)
    return TenantFreshness(newest_ms, min(newest_ms, now_ms) - late_window_ms)


async def tenant_freshness(info: Info[ApiContext, None]) -> TenantFreshness:
    """The freshness of the token's tenant (the only one an answer can be about), read once per
    request however many fields ask."""
    context = info.context
    tenant = context.claims.tenant_id
    task = context.freshness.get(tenant)
    if task is None:
        services = context.services
        task = asyncio.ensure_future(run_in_threadpool(services.realtime.newest_event, tenant))
        context.freshness[tenant] = task
    newest = await task
    services = context.services
    return judge(newest, services.now_ms(), services.late_window_ms)


@strawberry.type(description="How fresh an answer is.")
class Freshness:
    newest_event_at: datetime | None = strawberry.field(
        description="The newest occurred_at stored for the tenant; null before its first event."
    )
    final_before: datetime | None = strawberry.field(
        description=(
            "Buckets ending at or before this are final: the newest event (no later than now)"
            " less the late window. Null: no bucket is final yet."
        )
    )
    late_window_seconds: int = strawberry.field(
        description="How long after a bucket's end late events are expected (a setting)."
    )


async def _freshness(info: Info[ApiContext, None]) -> Freshness:
    fresh = await tenant_freshness(info)
    return Freshness(
        newest_event_at=None if fresh.newest_ms is None else instant(fresh.newest_ms),
        final_before=None if fresh.final_before_ms is None else instant(fresh.final_before_ms),
        late_window_seconds=info.context.services.late_window_ms // 1000,
    )


@strawberry.type
class Fresh:
    """Mixed into every family's answer type."""

    freshness: Freshness = strawberry.field(
        resolver=_freshness,
        description="The newest stored event of the tenant and the final horizon.",
    )


async def _provisional(root: ProvisionalBucket, info: Info[ApiContext, None]) -> bool:
    fresh = await tenant_freshness(info)
    return fresh.provisional(int(root.end.timestamp() * 1000))


@strawberry.type
class ProvisionalBucket:
    """Mixed into every family's bucket type (which has an ``end``)."""

    if TYPE_CHECKING:
        end: datetime

    provisional: bool = strawberry.field(
        resolver=_provisional,
        description=(
            "True while late events are still expected in this bucket (it ends after"
            " freshness.finalBefore); false once it is final."
        ),
    )
