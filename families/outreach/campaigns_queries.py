"""The campaigns, templates and traffic root fields, registered in ``families/registry.py``."""

from __future__ import annotations

import strawberry

from pulse.families.outreach.campaigns_graphql import CampaignMetrics, campaign_metrics
from pulse.families.outreach.templates_graphql import TemplateMetrics, template_metrics
from pulse.families.outreach.traffic_graphql import TrafficMetrics, traffic_metrics
from pulse.graphql.permissions import CanView, CanViewInScope


@strawberry.type
class CampaignQueries:
    campaign_metrics: CampaignMetrics | None = strawberry.field(
        resolver=campaign_metrics,
        permission_classes=[CanView],
        description=(
            "Campaigns over the buckets starting in [from, to), in the tenant's zone (or"
            " timeZone): started and completed, top and worst by a rate, one campaign's buckets."
        ),
    )
    template_metrics: TemplateMetrics | None = strawberry.field(
        resolver=template_metrics,
        permission_classes=[CanView],
        description=(
            "Templates over the buckets starting in [from, to): usage, read and click rates, top"
            " and worst, one template's buckets."
        ),
    )
    traffic_metrics: TrafficMetrics | None = strawberry.field(
        resolver=traffic_metrics,
        permission_classes=[CanViewInScope],
        description=(
            "message.sent + message.received by local hour of day and day of week, and the peak"
            " hours, over the buckets starting in [from, to)."
        ),
    )
