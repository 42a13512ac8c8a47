"""``templateMetrics``: METRICS.md §3 Template (``usage`` = message.sent with that template_id,
its read and click rates, top and worst) from ``messaging_slots``.

Read and click rates are messaging's (read / delivered, clicked / delivered), as seed 001's
``openRate``/``clickRate`` are; ranking by them leaves null rates out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.messaging.model import Filters, MessagingCounts
from pulse.families.messaging.types import MessagingBucket, MessagingTotals, bucket, totals
from pulse.families.messaging.types import MessagingCounts as CountsInterface
from pulse.families.outreach import ranking
from pulse.families.outreach.asked import Asked, ChannelFilter, Limit, checked_limit
from pulse.families.outreach.id_totals import totals_by_id
from pulse.families.questions import TenantId, TimeZone, frame_question
from pulse.graphql.context import ApiContext
from pulse.graphql.numbers import rate
from pulse.graphql.types import Granularity


@strawberry.enum(description="The figure templates are ranked by.")
class TemplateRank(Enum):
    USAGE = "usage"
    READ_RATE = "read_rate"
    CLICK_RATE = "click_rate"


FIGURES: dict[TemplateRank, Callable[[MessagingCounts], float | None]] = {
    TemplateRank.USAGE: lambda c: float(c.sent),
    TemplateRank.READ_RATE: lambda c: rate(c.read, c.delivered),
    TemplateRank.CLICK_RATE: lambda c: rate(c.clicked, c.delivered),
}
RankBy = Annotated[TemplateRank, strawberry.argument(description="The figure to rank by.")]


@strawberry.type(description="One template's counts and rates over the whole range.")
class TemplateRow(CountsInterface):
    template_id: str
    usage: int = strawberry.field(description="message.sent carrying this template_id.")


@strawberry.type(description="One template's messages: every bucket of the range and totals.")
class TemplateFigures:
    template_id: str
    usage: int = strawberry.field(description="message.sent carrying this template_id.")
    buckets: list[MessagingBucket] = strawberry.field(
        description="Every bucket starting in [from, to), oldest first; firstResponse is null."
    )
    totals: MessagingTotals


def _ranked(
    a: Asked, rank: Callable[..., list[str]], by: TemplateRank, limit: int
) -> list[TemplateRow]:
    per_id = totals_by_id(a.db, "template_id", a.tenant_id, a.from_ms, a.to_ms, a.channel)
    chosen = rank(per_id, lambda i: FIGURES[by](per_id[i]), lambda i: i, limit)
    return [TemplateRow(template_id=i, usage=per_id[i].sent, **asdict(per_id[i])) for i in chosen]


def _template(a: Asked, template_id: str) -> TemplateFigures:
    answer = a.messaging(Filters(channel=a.channel, template_id=template_id))
    return TemplateFigures(
        template_id=template_id,
        usage=answer.totals.sent,
        buckets=[bucket(b, c, None) for b, c in zip(a.buckets, answer.buckets, strict=True)],
        totals=totals(answer.totals, None),
    )


async def _top(
    root: TemplateMetrics, by: RankBy = TemplateRank.USAGE, limit: Limit = 10
) -> list[TemplateRow]:
    return await run_in_threadpool(_ranked, root.asked, ranking.top, by, checked_limit(limit))


async def _worst(
    root: TemplateMetrics, by: RankBy = TemplateRank.USAGE, limit: Limit = 10
) -> list[TemplateRow]:
    return await run_in_threadpool(_ranked, root.asked, ranking.worst, by, checked_limit(limit))


async def _one(root: TemplateMetrics, id: str) -> TemplateFigures:
    return await run_in_threadpool(_template, root.asked, id)


@strawberry.type(description="Templates over the buckets starting in [from, to).")
class TemplateMetrics:
    tenant_id: str
    time_zone: str
    granularity: Granularity
    channel: str | None = strawberry.field(description="The channel filter, if any.")
    asked: strawberry.Private[Asked]
    top: list[TemplateRow] = strawberry.field(
        resolver=_top, description="Largest figure first; null rates left out, ties by id."
    )
    worst: list[TemplateRow] = strawberry.field(
        resolver=_worst, description="Smallest figure first; null rates left out, ties by id."
    )
    template: TemplateFigures = strawberry.field(
        resolver=_one, description="The messages carrying this template_id, bucket by bucket."
    )


async def template_metrics(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    granularity: Granularity,
    time_zone_: TimeZone = None,
    channel: ChannelFilter = None,
    tenant_id: TenantId = None,
) -> TemplateMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, None, time_zone_)
    asked = Asked(
        info.context.services.clickhouse, q.tenant, q.zone, granularity, q.buckets, channel
    )
    return TemplateMetrics(
        tenant_id=q.tenant, time_zone=q.zone, granularity=granularity, channel=channel, asked=asked
    )
