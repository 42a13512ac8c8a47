"""Redis between the sink and the evaluator: which tenants a batch touched, and who evaluates.

- list ``{prefix}:alerts:touched``: the sink appends the tenants of every stored batch's raw
  events (after their derivations, so a reading sees them); the evaluator blocks on it and
  evaluates those tenants' rules at once, so an event reaches its rule in well under a second.
  Trimmed to the newest :data:`MAX_PENDING` entries: an evaluator that is down must not let it
  grow without bound, and its sweep at start covers every tenant anyway.
- channel ``{prefix}:live:touched``: the same tenants, PUBLISHed as one JSON list per batch in
  the same round trip, for the API's live subscriptions (``pulse.graphql.live``); a message
  nobody listens to is dropped, which is what a push to no subscriber should cost.
- key ``{prefix}:alerts:evaluator-lease``: ``SET NX PX`` by the one evaluator acting, renewed
  while it runs; another waits until it expires. ``{prefix}`` is the Kafka topic prefix, so two
  pipelines sharing a Redis do not share alerts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Literal, cast

import redis

MAX_PENDING = 100_000
DRAIN = 10_000
# A list no evaluator has drained for a day is left to expire (tests, a pipeline taken down).
EXPIRE_SECONDS = 86_400

Term = Literal["renewed", "acquired", "elsewhere"]

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def touched_key(prefix: str) -> str:
    return f"{prefix}:alerts:touched"


def live_channel(prefix: str) -> str:
    return f"{prefix}:live:touched"


def lease_key(prefix: str) -> str:
    return f"{prefix}:alerts:evaluator-lease"


class TouchedTenants:
    def __init__(self, client: redis.Redis, key: str, channel: str | None = None) -> None:
        self._redis = client
        self._key = key
        self._channel = channel

    @classmethod
    def open(cls, redis_url: str, prefix: str) -> TouchedTenants:
        return cls(redis.Redis.from_url(redis_url), touched_key(prefix), live_channel(prefix))

    def mark(self, tenants: Iterable[str]) -> None:
        """Tells the evaluator (and, with a channel, the live subscriptions) that ``tenants``
        have new events stored."""
        names = sorted(set(tenants))
        if not names:
            return
        pipe = self._redis.pipeline(transaction=False)
        pipe.rpush(self._key, *names)
        pipe.ltrim(self._key, -MAX_PENDING, -1)
        pipe.expire(self._key, EXPIRE_SECONDS)
        if self._channel is not None:
            pipe.publish(self._channel, json.dumps(names))
        pipe.execute()

    def wait(self, timeout_seconds: float) -> set[str]:
        """The tenants marked since the last call, waiting up to ``timeout_seconds`` for one."""
        first = cast(
            tuple[bytes, bytes] | None, self._redis.blpop([self._key], timeout=timeout_seconds)
        )
        if first is None:
            return set()
        rest = cast(list[bytes] | None, self._redis.lpop(self._key, DRAIN)) or []
        return {value.decode() for value in [first[1], *rest]}

    def close(self) -> None:
        self._redis.close()


class Lease:
    """The right to evaluate, held by one process at a time for ``ttl_ms`` after each renewal."""

    def __init__(self, client: redis.Redis, key: str, ttl_ms: int) -> None:
        self._redis = client
        self._key = key
        self._ttl_ms = ttl_ms
        self.owner = uuid.uuid4().hex
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self.held = False

    def hold(self) -> Term:
        """Renews the lease if held, else tries to take it: ``renewed``, ``acquired`` (a new
        term: the holder reloads its state and flushes its outbox) or ``elsewhere``."""
        if self.held and self._renew(keys=[self._key], args=[self.owner, self._ttl_ms]):
            return "renewed"
        self.held = bool(self._redis.set(self._key, self.owner, nx=True, px=self._ttl_ms))
        return "acquired" if self.held else "elsewhere"

    def release(self) -> None:
        if self.held:
            self._release(keys=[self._key], args=[self.owner])
            self.held = False
