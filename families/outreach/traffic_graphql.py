"""``trafficMetrics``: messages sent + received by local hour of day and day of week, and the
peak hours (METRICS.md §3 Traffic, §4 peak hours), over the buckets starting in [from, to)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.freshness import Fresh
from pulse.families.outreach.asked import ChannelFilter
from pulse.families.outreach.traffic import WEEKDAYS, TrafficQuery, traffic
from pulse.families.questions import TenantId, TimeZone, frame_question
from pulse.graphql.context import ApiContext
from pulse.graphql.permissions import org_unit_scope
from pulse.graphql.types import Granularity


@strawberry.type(description="message.sent + message.received in one local hour of the day.")
class HourTraffic:
    hour: int = strawberry.field(description="0 to 23, on the zone's clock.")
    messages: int


@strawberry.type(description="message.sent + message.received on one local day of the week.")
class DayTraffic:
    day: str = strawberry.field(description="Monday … Sunday, on the zone's calendar.")
    messages: int


@strawberry.type(description="Traffic over the buckets starting in [from, to).")
class TrafficMetrics(Fresh):
    tenant_id: str
    time_zone: str
    by_hour: list[HourTraffic] = strawberry.field(
        description="24 entries, hour 0 first; both local 01:00 hours of a fall-back day add to 1."
    )
    by_day_of_week: list[DayTraffic] = strawberry.field(description="7 entries, Monday first.")
    peak_hours: list[HourTraffic] = strawberry.field(
        description="The 3 busiest hours, ties to the earlier hour; silent hours never listed."
    )


async def traffic_metrics(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    granularity: Annotated[
        Granularity,
        strawberry.argument(
            description="The local buckets whose starts in [from, to) bound the range; coarser"
            " ones allow longer ranges."
        ),
    ] = Granularity.HOUR,
    time_zone_: TimeZone = None,
    channel: ChannelFilter = None,
    org_unit: Annotated[
        str | None, strawberry.argument(description="Only messages of this org unit.")
    ] = None,
    tenant_id: TenantId = None,
) -> TrafficMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, None, time_zone_)
    scope = org_unit_scope(info.context.claims, org_unit)
    start_ms, end_ms = q.buckets[0].start_ms, q.buckets[-1].end_ms
    question = TrafficQuery(
        q.tenant, start_ms, end_ms, q.zone, channel, scope.org_unit, scope.among
    )
    found = await run_in_threadpool(traffic, info.context.services.clickhouse, question)
    return TrafficMetrics(
        tenant_id=q.tenant,
        time_zone=q.zone,
        by_hour=[HourTraffic(hour=h, messages=n) for h, n in enumerate(found.by_hour)],
        by_day_of_week=[
            DayTraffic(day=d, messages=n) for d, n in zip(WEEKDAYS, found.by_weekday, strict=True)
        ],
        peak_hours=[HourTraffic(hour=h, messages=found.by_hour[h]) for h in found.peak_hours()],
    )
