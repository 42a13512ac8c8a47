"""Live subscriptions: a figure pushed again each time the sink stores rows of its tenant.

The sink PUBLISHes the tenants of every stored batch on ``{prefix}:live:touched``
(``pulse.alerts.wakeup``), after its derivations and its Redis cache were written. A subscription
listens on that channel with its own pub/sub connection (redis.asyncio), answers once at start,
then re-reads its figure — Redis first, as the realtime queries do — whenever its tenant is
named. Touches that arrive while a figure is being read are folded into the next read, so a
busy tenant costs one read per read's duration, not one per batch. Nothing polls ClickHouse.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import redis.asyncio as aioredis
import structlog
from strawberry.types import Info

from pulse.alerts.wakeup import live_channel
from pulse.graphql.errors import UnavailableError

if TYPE_CHECKING:
    # The context holds a LiveFeed, so it is imported here for annotations only.
    from pulse.graphql.context import ApiContext

log = structlog.get_logger(__name__)

T = TypeVar("T")


def _names(message: dict[str, Any] | None) -> list[str]:
    if message is None or message.get("type") != "message":
        return []
    try:
        names = json.loads(message["data"])
    except ValueError:
        log.warning("unreadable live message", data=str(message["data"])[:200])
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


class LiveFeed:
    """The sink's touches of one pipeline (its Kafka topic prefix), per subscriber."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        self._url = redis_url
        self.channel = live_channel(prefix)

    async def touches(self, tenant_id: str) -> AsyncIterator[None]:
        """Yields once subscribed, then once per batch (or run of batches) of ``tenant_id``."""
        client = aioredis.Redis.from_url(self._url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            yield None
            while True:
                message = await pubsub.get_message(timeout=None)
                touched = tenant_id in _names(message)
                # Fold what else is already waiting into this one push.
                while (pending := await pubsub.get_message(timeout=0)) is not None:
                    touched = touched or tenant_id in _names(pending)
                if touched:
                    yield None
        finally:
            # redis-py leaves PubSub.aclose unannotated.
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()


async def pushed(
    feed: LiveFeed, tenant_id: str, read: Callable[[], Awaitable[T]]
) -> AsyncIterator[T]:
    """``read()`` now and again after every touch of ``tenant_id``."""
    async for _ in feed.touches(tenant_id):
        yield await read()


async def live_pushes(
    info: Info[ApiContext, None], tenant_id: str, read: Callable[[], Awaitable[T]]
) -> AsyncIterator[T]:
    """A subscription resolver's answers: ``read()`` now and after every touch of
    ``tenant_id``, through the request's feed (UNAVAILABLE without one)."""
    feed = info.context.services.live
    if feed is None:
        raise UnavailableError(
            "This API serves no live subscriptions.",
            suggestion="Query the field instead, or run the API with Redis (`pulse api`).",
        )

    async def fresh() -> T:
        # One context serves the whole connection: each push reads the freshness anew.
        info.context.freshness.clear()
        return await read()

    async for answer in pushed(feed, tenant_id, fresh):
        yield answer
