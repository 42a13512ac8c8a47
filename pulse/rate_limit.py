"""Per-key token buckets in Redis, one atomic Lua script per request.

Shared by the collector (a bucket per API key, one token per event a request carries, so a bulk
request costs what its events cost the pipeline) and the GraphQL API (a bucket per tenant, one
token per request: ``pulse.graphql.query_rate``). A bucket holds at most ``burst`` tokens and
refills at ``rate`` a second. The script reads Redis's own clock, so several processes share a
bucket without trusting each other's clocks; an idle bucket expires once it would be full again
anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

_SCRIPT = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(state[1]), tonumber(state[2])
if tokens == nil or ts == nil then tokens, ts = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local wait_ms = 0
if tokens >= cost then
  tokens = tokens - cost
else
  wait_ms = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait_ms
"""


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after_ms: int

    @property
    def retry_after_seconds(self) -> int:
        """``Retry-After`` is whole seconds: rounded up, at least 1."""
        return max(1, -(-self.retry_after_ms // 1000))


class RateLimiter:
    """Raises redis' errors as they come: the caller decides what an outage means."""

    def __init__(self, client: aioredis.Redis, namespace: str, rate: float, burst: int) -> None:
        self._client = client
        self._namespace = namespace
        self._rate = rate
        self._burst = burst
        self._script = client.register_script(_SCRIPT)

    async def take(self, key_id: str, cost: int) -> Decision:
        wait_ms = await self._script(
            keys=[f"{self._namespace}:ratelimit:{key_id}"],
            args=[self._rate, self._burst, cost],
        )
        return Decision(int(wait_ms) == 0, int(wait_ms))

    async def ping(self) -> None:
        await self._client.ping()  # type: ignore[misc]  # redis types it sync-or-async
