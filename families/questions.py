"""What the families' GraphQL fields share about a question: its tenant, zone, instant and grid.

A family's resolver turns ``[from, to)``, a granularity and a zone into the bucket grid of
``grid.py``, refusing a range over ``PULSE_API_MAX_BUCKETS`` buckets with an error that names the
limit and the next coarser granularity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import strawberry

from pulse.families.errors import GridTooLargeError
from pulse.families.grid import grid
from pulse.families.helpdesk.model import Bucket
from pulse.families.helpdesk.model import Granularity as GridGranularity
from pulse.graphql.arguments import TENANT_HELP, epoch_ms, time_zone, window_ms
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext, Services
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.types import Granularity
from pulse.topics.tenants import TenantSettings

TenantId = Annotated[str | None, strawberry.argument(description=TENANT_HELP)]
TimeZone = Annotated[
    str | None,
    strawberry.argument(
        name="timeZone", description="IANA zone to bucket in; defaults to the tenant's."
    ),
]

GRANULARITY: dict[Granularity, GridGranularity] = {
    Granularity.HOUR: "hour",
    Granularity.DAY: "day",
    Granularity.WEEK: "week",
    Granularity.MONTH: "month",
}
_COARSER = {
    Granularity.HOUR: Granularity.DAY,
    Granularity.DAY: Granularity.WEEK,
    Granularity.WEEK: Granularity.MONTH,
}


def question_grid(
    max_buckets: int, from_ms: int, to_ms: int, granularity: Granularity, zone: str
) -> tuple[Bucket, ...]:
    """The buckets of ``granularity`` in ``zone`` starting in ``[from_ms, to_ms)``; an
    :class:`InvalidArgumentError` when there are more than ``max_buckets`` or none."""
    try:
        buckets = grid(from_ms, to_ms, GRANULARITY[granularity], zone, max_buckets)
    except GridTooLargeError as exc:
        coarser = _COARSER.get(granularity)
        hint = (
            f"Ask for granularity {coarser.name} (or coarser) or a shorter range."
            if coarser is not None
            else "Ask for a shorter range."
        )
        raise InvalidArgumentError(
            f"[from, to) holds more than {max_buckets} {granularity.name} buckets, the limit"
            " (PULSE_API_MAX_BUCKETS).",
            suggestion=hint,
            argument="granularity",
            limit=max_buckets,
        ) from exc
    if not buckets:
        raise InvalidArgumentError(
            f"No {granularity.name} bucket of {zone} starts in [from, to).",
            suggestion="Buckets are selected by start: widen the range to hold a bucket start.",
            argument="from",
        )
    return buckets


@dataclass(frozen=True)
class Question:
    """A metrics question's common part, checked: whose, in which zone, judged when, buckets."""

    tenant: str
    settings: TenantSettings
    zone: str
    as_of_ms: int
    buckets: tuple[Bucket, ...]


def as_of_ms(services: Services, as_of: datetime | None) -> int:
    """The instant a question is judged at: ``asOf``, else now."""
    return services.now_ms() if as_of is None else epoch_ms("asOf", as_of)


def frame_question(
    context: ApiContext,
    tenant_id: str | None,
    from_: datetime,
    to: datetime,
    granularity: Granularity,
    as_of: datetime | None,
    zone_name: str | None,
) -> Question:
    """The tenant the token may read, its zone (or the one asked for) and the range's grid."""
    tenant = scoped_tenant(context.claims, tenant_id)
    services = context.services
    from_ms, to_ms = window_ms(from_, to)
    judged_at = as_of_ms(services, as_of)
    settings = services.tenants.settings_for(tenant)
    zone = settings.timezone if zone_name is None else time_zone(zone_name)
    buckets = question_grid(services.max_buckets, from_ms, to_ms, granularity, zone)
    return Question(tenant, settings, zone, judged_at, buckets)
