"""``templateMetrics``: METRICS.md §3 Template (``usage`` = message.sent with that template_id,
its read and click rates, top and worst) from ``messaging_slots``.

Read and click rates are messaging's (read / delivered, clicked / delivered), as seed 001's
``openRate``/``clickRate`` are; ranking by them leaves null rates out.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.families.freshness import Fresh
from pulse.families.messaging.model import Filters
from pulse.families.messaging.types import MessagingBucket, MessagingTotals, bucket, totals
from pulse.families.messaging.types import MessagingCounts as CountsInterface
from pulse.families.outreach.asked import Asked, ChannelFilter, Limit, checked_limit
from pulse.families.outreach.id_totals import ranked_by_id
from pulse.families.outreach.ranking import Ranking
from pulse.families.outreach.selected import selected_counts
from pulse.families.published_sql import rate_sql
from pulse.families.questions import TenantId, TimeZone, frame_question
from pulse.graphql.context import ApiContext
from pulse.graphql.types import Granularity


@strawberry.enum(description="The figure templates are ranked by.")
class TemplateRank(Enum):
    USAGE = "usage"
    READ_RATE = "read_rate"
    CLICK_RATE = "click_rate"


# The counts each figure reads, and the figures as ClickHouse ranks them.
FIGURE_COUNTS = {
    TemplateRank.USAGE: ("sent",),
    TemplateRank.READ_RATE: ("read", "delivered"),
    TemplateRank.CLICK_RATE: ("clicked", "delivered"),
}
FIGURES = {
    TemplateRank.USAGE: "sent",
    TemplateRank.READ_RATE: rate_sql("read", "delivered"),
    TemplateRank.CLICK_RATE: rate_sql("clicked", "delivered"),
}
# A row's ``usage`` shows its sent count.
USAGE_SHOWS = {"usage": ("sent",)}
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
    a: Asked, by: TemplateRank, worst: bool, limit: int, counts: tuple[str, ...]
) -> list[TemplateRow]:
    """The ``limit`` templates ranked first by ``by``, with ``counts`` (the others 0: for a
    selection that does not show them)."""
    ranking = Ranking(FIGURES[by], worst, limit)
    needed = (*counts, *FIGURE_COUNTS[by])
    rows = ranked_by_id(
        a.db, "template_id", ranking, a.tenant_id, a.from_ms, a.to_ms, a.channel, needed
    )
    return [TemplateRow(template_id=i, usage=c.sent, **asdict(c)) for i, c in rows]


def _template(a: Asked, template_id: str) -> TemplateFigures:
    answer = a.messaging(Filters(channel=a.channel, template_id=template_id))
    return TemplateFigures(
        template_id=template_id,
        usage=answer.totals.sent,
        buckets=[bucket(b, c, None) for b, c in zip(a.buckets, answer.buckets, strict=True)],
        totals=totals(answer.totals, None),
    )


async def _top(
    root: TemplateMetrics,
    info: Info[ApiContext, None],
    by: RankBy = TemplateRank.USAGE,
    limit: Limit = 10,
) -> list[TemplateRow]:
    counts = selected_counts(info, shows=USAGE_SHOWS)
    return await run_in_threadpool(_ranked, root.asked, by, False, checked_limit(limit), counts)


async def _worst(
    root: TemplateMetrics,
    info: Info[ApiContext, None],
    by: RankBy = TemplateRank.USAGE,
    limit: Limit = 10,
) -> list[TemplateRow]:
    counts = selected_counts(info, shows=USAGE_SHOWS)
    return await run_in_threadpool(_ranked, root.asked, by, True, checked_limit(limit), counts)


async def _one(root: TemplateMetrics, id: str) -> TemplateFigures:
    return await run_in_threadpool(_template, root.asked, id)


@strawberry.type(description="Templates over the buckets starting in [from, to).")
class TemplateMetrics(Fresh):
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
