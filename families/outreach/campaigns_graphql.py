"""``campaignMetrics``: METRICS.md §3 Campaign (messaging figures restricted to a campaign_id,
top and worst campaigns by a chosen rate) and the campaigns started and completed in the range.

Every figure reads ClickHouse only when the query selects it; message counts come from
``messaging_slots`` through messaging's own query, names and started/completed counts from the
``campaign.*`` events.
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
from pulse.families.messaging.model import COUNTS, Filters
from pulse.families.messaging.types import MessagingBucket, MessagingTotals, bucket, totals
from pulse.families.messaging.types import MessagingCounts as CountsInterface
from pulse.families.outreach import campaign_events
from pulse.families.outreach.asked import Asked, ChannelFilter, Limit, checked_limit
from pulse.families.outreach.id_totals import ranked_by_id
from pulse.families.outreach.ranking import Ranking
from pulse.families.outreach.selected import selected_counts
from pulse.families.published_sql import rate_sql
from pulse.families.questions import TenantId, TimeZone, frame_question
from pulse.graphql.context import ApiContext
from pulse.graphql.types import Granularity


@strawberry.enum(description="The rate campaigns are ranked by (METRICS.md §3 Messaging).")
class CampaignRate(Enum):
    DELIVERY_RATE = "delivery_rate"
    READ_RATE = "read_rate"
    CLICK_RATE = "click_rate"
    FAILURE_RATE = "failure_rate"


# The counts each rate divides, and the rates as ClickHouse ranks them (METRICS.md §3 Messaging).
RATE_COUNTS = {
    CampaignRate.DELIVERY_RATE: ("delivered", "sent"),
    CampaignRate.READ_RATE: ("read", "delivered"),
    CampaignRate.CLICK_RATE: ("clicked", "delivered"),
    CampaignRate.FAILURE_RATE: ("failed", "sent"),
}
RATES = {rate: rate_sql(*counts) for rate, counts in RATE_COUNTS.items()}
RankBy = Annotated[CampaignRate, strawberry.argument(description="The rate to rank by.")]


@strawberry.type(description="One campaign's counts and rates over the whole range.")
class CampaignRow(CountsInterface):
    campaign_id: str
    name: str | None = strawberry.field(
        description="From the latest campaign.started before the range's end that had one."
    )


def _name(a: Asked, campaign_id: str) -> str | None:
    return campaign_events.campaign_names(a.db, a.tenant_id, [campaign_id], a.to_ms).get(
        campaign_id
    )


async def _figures_name(root: CampaignFigures) -> str | None:
    return await run_in_threadpool(_name, root.asked, root.campaign_id)


@strawberry.type(description="One campaign's messages: every bucket of the range and totals.")
class CampaignFigures:
    campaign_id: str
    asked: strawberry.Private[Asked]
    name: str | None = strawberry.field(
        resolver=_figures_name,
        description="From the latest campaign.started before the range's end that had one.",
    )
    buckets: list[MessagingBucket] = strawberry.field(
        description="Every bucket starting in [from, to), oldest first; firstResponse is null."
    )
    totals: MessagingTotals


def _counts(a: Asked) -> campaign_events.CampaignCounts:
    return campaign_events.campaign_counts(a.db, a.tenant_id, a.from_ms, a.to_ms, a.channel)


def ranked_campaigns(
    a: Asked, by: CampaignRate, worst: bool, limit: int, counts: tuple[str, ...] = COUNTS
) -> list[CampaignRow]:
    """The ``limit`` campaigns with the highest (``worst``: lowest) rate ``by``, with their
    ``counts`` (the others 0: for a selection that does not show them)."""
    ranking = Ranking(RATES[by], worst, limit)
    needed = (*counts, *RATE_COUNTS[by])
    rows = ranked_by_id(
        a.db, "campaign_id", ranking, a.tenant_id, a.from_ms, a.to_ms, a.channel, needed
    )
    names = campaign_events.campaign_names(a.db, a.tenant_id, [i for i, _ in rows], a.to_ms)
    return [CampaignRow(campaign_id=i, name=names.get(i), **asdict(c)) for i, c in rows]


def campaign_figures(a: Asked, campaign_id: str) -> CampaignFigures:
    """One campaign's buckets and totals: messaging's answer under its id (and the channel)."""
    answer = a.messaging(Filters(channel=a.channel, campaign_id=campaign_id))
    return CampaignFigures(
        campaign_id=campaign_id,
        asked=a,
        buckets=[bucket(b, c, None) for b, c in zip(a.buckets, answer.buckets, strict=True)],
        totals=totals(answer.totals, None),
    )


async def _started(root: CampaignMetrics) -> int:
    return (await run_in_threadpool(_counts, root.asked)).started


async def _completed(root: CampaignMetrics) -> int:
    return (await run_in_threadpool(_counts, root.asked)).completed


async def _top(
    root: CampaignMetrics,
    info: Info[ApiContext, None],
    by: RankBy = CampaignRate.READ_RATE,
    limit: Limit = 10,
) -> list[CampaignRow]:
    counts = selected_counts(info)
    return await run_in_threadpool(
        ranked_campaigns, root.asked, by, False, checked_limit(limit), counts
    )


async def _worst(
    root: CampaignMetrics,
    info: Info[ApiContext, None],
    by: RankBy = CampaignRate.READ_RATE,
    limit: Limit = 10,
) -> list[CampaignRow]:
    counts = selected_counts(info)
    return await run_in_threadpool(
        ranked_campaigns, root.asked, by, True, checked_limit(limit), counts
    )


async def _one(root: CampaignMetrics, id: str) -> CampaignFigures:
    return await run_in_threadpool(campaign_figures, root.asked, id)


@strawberry.type(description="Campaigns over the buckets starting in [from, to).")
class CampaignMetrics(Fresh):
    tenant_id: str
    time_zone: str
    granularity: Granularity
    channel: str | None = strawberry.field(description="The channel filter, if any.")
    asked: strawberry.Private[Asked]
    campaigns_started: int = strawberry.field(
        resolver=_started, description="Distinct campaigns with a campaign.started in the range."
    )
    campaigns_completed: int = strawberry.field(
        resolver=_completed,
        description="Distinct campaigns with a campaign.completed in the range.",
    )
    top: list[CampaignRow] = strawberry.field(
        resolver=_top,
        description="Highest rate first; campaigns with a null rate left out, ties by id.",
    )
    worst: list[CampaignRow] = strawberry.field(
        resolver=_worst,
        description="Lowest rate first; campaigns with a null rate left out, ties by id.",
    )
    campaign: CampaignFigures = strawberry.field(
        resolver=_one, description="The messages carrying this campaign_id, bucket by bucket."
    )


async def campaign_metrics(
    info: Info[ApiContext, None],
    from_: Annotated[datetime, strawberry.argument(name="from", description="Inclusive.")],
    to: Annotated[datetime, strawberry.argument(description="Exclusive.")],
    granularity: Granularity,
    time_zone_: TimeZone = None,
    channel: ChannelFilter = None,
    tenant_id: TenantId = None,
) -> CampaignMetrics | None:
    q = frame_question(info.context, tenant_id, from_, to, granularity, None, time_zone_)
    db = info.context.services.clickhouse
    asked = Asked(db, q.tenant, q.zone, granularity, q.buckets, channel)
    return CampaignMetrics(
        tenant_id=q.tenant,
        time_zone=q.zone,
        granularity=granularity,
        channel=channel,
        asked=asked,
    )
