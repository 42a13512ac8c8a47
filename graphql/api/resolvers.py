"""The root ``Query``: checks the caller and the arguments, then reads in a worker thread.

ClickHouse reads block, so they run in Starlette's thread pool and never stall the event loop
(``/health`` keeps answering while a heavy query runs).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.graphql.arguments import EPOCH, TENANT_HELP, window_ms
from pulse.graphql.auth import IsAuthenticated, scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.messaging import messaging_buckets
from pulse.graphql.queries import Window
from pulse.graphql.types import (
    Granularity,
    MessagingMetrics,
    RealtimeChannel,
    RealtimeMessaging,
    RealtimeSource,
    RealtimeTotal,
)
from pulse.messaging import COUNTERS


def _counts(counts: Mapping[str, int]) -> dict[str, int]:
    return {counter: int(counts.get(counter, 0)) for counter in COUNTERS}


async def messaging_metrics(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    granularity: Granularity,
    channel: Annotated[str | None, strawberry.argument(description="Only this channel.")] = None,
    tenant_id: Annotated[str | None, strawberry.argument(description=TENANT_HELP)] = None,
) -> MessagingMetrics | None:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    from_ms, to_ms = window_ms(from_, to)
    window = Window(tenant, granularity.value, from_ms, to_ms, channel)
    buckets = await run_in_threadpool(messaging_buckets, info.context.services.clickhouse, window)
    return MessagingMetrics(tenant_id=tenant, granularity=granularity, buckets=buckets)


async def realtime_messaging(
    info: Info[ApiContext, None],
    tenant_id: Annotated[str | None, strawberry.argument(description=TENANT_HELP)] = None,
) -> RealtimeMessaging | None:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    services = info.context.services
    now_ms = services.now_ms()
    snapshot = await run_in_threadpool(services.realtime.current_hour, tenant, now_ms)
    by_channel = {name: _counts(counts) for name, counts in snapshot.channels.items()}
    channels = [RealtimeChannel(channel=n, **c) for n, c in sorted(by_channel.items())]
    total = {c: sum(counts[c] for counts in by_channel.values()) for c in COUNTERS}
    return RealtimeMessaging(
        tenant_id=tenant,
        as_of=EPOCH + timedelta(milliseconds=now_ms),
        source=RealtimeSource(snapshot.source),
        channels=channels,
        total=RealtimeTotal(**total),
    )


@strawberry.type
class Query:
    messaging_metrics: MessagingMetrics | None = strawberry.field(
        resolver=messaging_metrics,
        permission_classes=[IsAuthenticated],
        description="Messaging counts, rates and first response times per bucket of [from, to).",
    )
    realtime_messaging: RealtimeMessaging | None = strawberry.field(
        resolver=realtime_messaging,
        permission_classes=[IsAuthenticated],
        description="The current hour's messaging counts: Redis, else ClickHouse's hour rows.",
    )
