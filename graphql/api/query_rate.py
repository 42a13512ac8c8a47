"""Per-tenant request rates: a token bucket per tenant in Redis (``pulse.rate_limit``).

One token per request: a GraphQL request (a dashboard's widgets share their request's token), a
subscription started, an export. Over the rate, RATE_LIMITED with ``retryAfterSeconds`` (and
``Retry-After``; 429 on ``/export``). Buckets live in Redis, so every API replica draws from the
same one.

Fail-closed: when Redis cannot be reached, requests are refused RATE_LIMIT_UNAVAILABLE (503 on
``/export``) rather than served unlimited, as the collector does. The limits are what stops one
tenant's dashboards from starving the others' ClickHouse reads, and an outage is exactly when a
retry storm would need them; ``/health`` reports Redis down meanwhile.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

import redis.asyncio as aioredis
import redis.exceptions
import structlog

from pulse.graphql.errors import RateLimitedError, RateLimitUnavailableError
from pulse.rate_limit import RateLimiter
from pulse.settings import Settings

log = structlog.get_logger(__name__)

# A Redis that does not answer must not hold a request for long.
REDIS_TIMEOUT_SECONDS = 1.0


class TenantRates:
    """Admits a tenant's request or raises why not."""

    def __init__(
        self, connect: Callable[[], RateLimiter], rate_per_second: float, burst: int
    ) -> None:
        self._connect = connect
        # An asyncio Redis client belongs to the event loop that opened its connections: a server
        # runs one loop, but an app may be driven from several (each request of a Starlette
        # TestClient without its lifespan runs its own), so each loop gets its own client.
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RateLimiter] = (
            weakref.WeakKeyDictionary()
        )
        self._rate = rate_per_second
        self._burst = burst

    @classmethod
    def from_settings(cls, settings: Settings) -> TenantRates:
        """Buckets under ``<topic prefix>:api`` in ``PULSE_REDIS_URL``, from the API settings."""
        api = settings.api
        namespace = f"{settings.kafka.topic_prefix}:api"

        def connect() -> RateLimiter:
            client = aioredis.Redis.from_url(
                settings.redis.url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            return RateLimiter(client, namespace, api.rate_per_second, api.rate_burst)

        return cls(connect, api.rate_per_second, api.rate_burst)

    def _limiter(self) -> RateLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = self._connect()
        return limiter

    async def admit(self, tenant_id: str) -> None:
        """Takes one token of ``tenant_id``'s bucket; RateLimitedError when it is empty."""
        try:
            decision = await self._limiter().take(tenant_id, 1)
        except redis.exceptions.RedisError as exc:
            log.error("rate_limit_unavailable", tenant_id=tenant_id, error=str(exc))
            raise RateLimitUnavailableError(
                "The rate limiter (Redis) cannot be reached; requests are refused meanwhile.",
                suggestion="Retry shortly; the operator should check Redis (/health).",
                service="redis",
            ) from exc
        if not decision.allowed:
            raise RateLimitedError(
                f"Tenant {tenant_id!r} sent requests faster than its rate "
                f"({self._rate:g} a second, bursts of {self._burst}).",
                suggestion=f"Retry in {decision.retry_after_seconds} s.",
                retry_after_seconds=decision.retry_after_seconds,
                rate_per_second=self._rate,
                burst=self._burst,
                setting="PULSE_API_RATE_PER_SECOND",
            )
