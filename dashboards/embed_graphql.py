"""``embedToken(dashboardId, ttlSeconds)``: a manager who sees a dashboard mints a token showing
it alone, to embed it in another product (an iframe of ``/dashboards/{id}#token=…``); see
``embed_tokens.py`` for what the token may do.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from pulse.dashboards.book import DashboardBook
from pulse.dashboards.graphql import DASHBOARDS, DashboardId, seen
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import UnavailableError
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
) -> EmbedToken:
    claims = info.context.claims
    issuer = info.context.services.embed
    if issuer is None:
        raise UnavailableError(
            "This API mints no embed tokens.",
            suggestion="Run the API with `pulse api`, which signs them with its own key.",
        )

    def find(book: DashboardBook, tenant: str) -> str:
        return seen(claims, book, tenant, str(dashboard_id)).dashboard_id

    found = await DASHBOARDS.run(info, None, find)
    minted_at = int(time.time())
    token = issuer.mint(claims, found, ttl_seconds)
    return EmbedToken(
        token=token,
        dashboard_id=strawberry.ID(found),
        expires_at=datetime.fromtimestamp(minted_at + ttl_seconds, UTC),
    )


@strawberry.type
class EmbedMutations:
    embed_token: EmbedToken = strawberry.mutation(
        resolver=embed_token,
        permission_classes=[CanManage],
        description="A read-only token for one dashboard the caller sees, expiring after"
        " ttlSeconds, to embed it in another product.",
    )
