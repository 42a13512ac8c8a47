"""``embedToken(dashboardId, ttlSeconds, filters, orgUnits)``: a manager who sees a dashboard
mints a token showing it alone, to embed it in another product (an iframe of
``/dashboards/{id}#token=…``), its filters and org units fixed; see ``embed_tokens.py`` for what
the token may do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from pulse.dashboards.book import DashboardBook
from pulse.dashboards.embed_tokens import embed_units
from pulse.dashboards.errors import EmbedRefusedError
from pulse.dashboards.graphql import DASHBOARDS, DashboardId, seen
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError, UnavailableError
from pulse.graphql.permissions import CanManage

DEFAULT_TTL_SECONDS = 900


@strawberry.type
class EmbedToken:
    token: str = strawberry.field(description="Give it to the page: /dashboards/{id}#token=…")
    dashboard_id: strawberry.ID
    expires_at: datetime


async def embed_token(
    info: Info[ApiContext, None],
    dashboard_id: DashboardId,
    ttl_seconds: Annotated[
        int, strawberry.argument(description="Seconds it lives, at most the API's limit.")
    ] = DEFAULT_TTL_SECONDS,
    filters: Annotated[
        JSON | None,
        strawberry.argument(
            description="Widget variables fixed in the token (all but from/to, which its"
            " viewer picks); they win over the dashboard's and the viewer's."
        ),
    ] = None,
    org_units: Annotated[
        list[str] | None,
        strawberry.argument(
            description="The org units the token covers, among the caller's (default: all"
            " of the caller's)."
        ),
    ] = None,
) -> EmbedToken:
    claims = info.context.claims
    issuer = info.context.services.embed
    if issuer is None:
        raise UnavailableError(
            "This API mints no embed tokens.",
            suggestion="Run the API with `pulse api`, which signs them with its own key.",
        )

    if filters is not None and not isinstance(filters, dict):
        raise InvalidArgumentError(
            "filters must be an object of widget variables.",
            suggestion='Pass e.g. {"channel": "whatsapp"}.',
            field="filters",
        )
    try:
        # The token must see the dashboard with the units it is narrowed to, not only its minter.
        embedded = replace(claims, org_units=embed_units(claims, org_units))

        def find(book: DashboardBook, tenant: str) -> str:
            return seen(embedded, book, tenant, str(dashboard_id)).dashboard_id

        found = await DASHBOARDS.run(info, None, find)
        grant = issuer.mint(claims, found, ttl_seconds, filters, org_units)
    except EmbedRefusedError as exc:
        raise InvalidArgumentError(
            f"Cannot mint the embed token: {exc.message}",
            suggestion=exc.suggestion,
            field=exc.field,
        ) from exc
    return EmbedToken(
        token=grant.token,
        dashboard_id=strawberry.ID(found),
        expires_at=datetime.fromtimestamp(grant.expires_at, UTC),
    )


@strawberry.type
class EmbedMutations:
    embed_token: EmbedToken = strawberry.mutation(
        resolver=embed_token,
        permission_classes=[CanManage],
        description="A read-only token for one dashboard the caller sees, expiring after"
        " ttlSeconds, to embed it in another product.",
    )
