"""The messaging family's root fields: ``messagingMetrics`` and ``realtimeMessaging``.

The zone is the tenant's current setting (``Services.tenants``) unless the query names one, so a
zone change re-buckets the whole history. First responses come from the helpdesk family (same
definition, same window, channel and org unit), read only when the query selects them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.helpdesk.model import HelpdeskAnswer, HelpdeskQuery
from pulse.families.messaging import model
from pulse.families.messaging.query import messaging_answer
from pulse.families.messaging.types import (
    MessagingMetrics,
    RealtimeChannel,
    RealtimeMessaging,
    RealtimeSource,
    RealtimeTotal,
    bucket,
    instant,
    realtime_counts,
    totals,
)
from pulse.families.questions import GRANULARITY, TenantId, TimeZone, frame_question
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.permissions import CanView, CanViewInScope, org_unit_scope
from pulse.graphql.types import Granularity


def _only(what: str) -> Any:
    return strawberry.argument(description=f"Only messages of this {what}.")


Channel = Annotated[str | None, _only("channel")]
OrgUnit = Annotated[str | None, _only("org unit")]
Campaign = Annotated[str | None, _only("campaign (campaign_id)")]
Template = Annotated[str | None, _only("template (template_id)")]
Workflow = Annotated[str | None, _only("workflow (workflow_id)")]
Sequence = Annotated[str | None, _only("sequence (sequence_id)")]
AsOf = Annotated[
    datetime | None,
    strawberry.argument(description="The instant first responses are judged at; defaults to now."),
]


def _names(selections: Iterable[Any]) -> Iterable[str]:
    for selection in selections:
        name = getattr(selection, "name", None)
        if name is not None:
            yield name
        yield from _names(getattr(selection, "selections", ()))


def _asks_first_response(info: Info[ApiContext, None]) -> bool:
    return "firstResponse" in set(_names(info.selected_fields))


async def messaging_metrics(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    granularity: Granularity,
    as_of: AsOf = None,
    time_zone_: TimeZone = None,
    channel: Channel = None,
    org_unit: OrgUnit = None,
    campaign: Campaign = None,
    template: Template = None,
    workflow: Workflow = None,
    sequence: Sequence = None,
    tenant_id: TenantId = None,
) -> MessagingMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, as_of, time_zone_)
    tenant, settings, zone, as_of_ms, buckets = q.tenant, q.settings, q.zone, q.as_of_ms, q.buckets
    services = info.context.services
    scope = org_unit_scope(info.context.claims, org_unit)
    filters = model.Filters(
        channel, scope.org_unit, campaign, template, workflow, sequence, scope.among
    )
    question = model.MessagingQuery(tenant, buckets, zone, GRANULARITY[granularity], filters)
    answer = await run_in_threadpool(messaging_answer, services.clickhouse, question)
    frt: HelpdeskAnswer | None = None
    if _asks_first_response(info) and not filters.outreach:
        helpdesk = HelpdeskQuery(
            tenant_id=tenant,
            buckets=buckets,
            time_zone=zone,
            granularity=GRANULARITY[granularity],
            as_of_ms=as_of_ms,
            sla_ms=settings.sla_ms,
            channel=channel,
            org_unit=scope.org_unit,
            org_units=scope.among,
        )
        frt = await run_in_threadpool(services.helpdesk.answer, services.clickhouse, helpdesk)
    return MessagingMetrics(
        tenant_id=tenant,
        time_zone=zone,
        granularity=granularity,
        as_of=instant(as_of_ms),
        buckets=[
            bucket(b, counts, frt.buckets[i] if frt else None)
            for i, (b, counts) in enumerate(zip(buckets, answer.buckets, strict=True))
        ],
        totals=totals(answer.totals, frt.totals if frt else None),
    )


async def realtime_messaging(
    info: Info[ApiContext, None], tenant_id: TenantId = None
) -> RealtimeMessaging | None:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    services = info.context.services
    now_ms = services.now_ms()
    zone = services.tenants.settings_for(tenant).timezone
    snapshot = await run_in_threadpool(services.realtime.current_hour, tenant, zone, now_ms)
    channels = [
        RealtimeChannel(channel=name, **realtime_counts(counts))
        for name, counts in sorted(snapshot.channels.items())
    ]
    total = sum(snapshot.channels.values(), model.MessagingCounts())
    return RealtimeMessaging(
        tenant_id=tenant,
        as_of=instant(now_ms),
        source=RealtimeSource(snapshot.source),
        channels=channels,
        total=RealtimeTotal(**realtime_counts(total)),
    )


@strawberry.type
class MessagingQueries:
    messaging_metrics: MessagingMetrics | None = strawberry.field(
        resolver=messaging_metrics,
        permission_classes=[CanViewInScope],
        description=(
            "Messaging counts and rates of every bucket starting in [from, to) and of the whole"
            " range, in the tenant's zone (or timeZone), with first response times."
        ),
    )
    realtime_messaging: RealtimeMessaging | None = strawberry.field(
        resolver=realtime_messaging,
        permission_classes=[CanView],
        description="The current local hour's messaging counts: Redis, else ClickHouse's slots.",
    )
