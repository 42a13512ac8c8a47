"""Redis between the sink and the evaluator: which tenants a batch touched, and who evaluates.

- list ``{prefix}:alerts:stored``: the sink appends the tenants of every batch's raw events as
  soon as they are inserted, before the batch's derivations (which can take a second under
  load): rules whose readings come from ``events_raw`` alone (messaging, outreach) are
  evaluated on it;
- list ``{prefix}:alerts:touched``: the same tenants again after the derivations, so every
  reading sees the batch: the other rules (helpdesk, web) are evaluated on it. The evaluator
  blocks on both lists at once, so an event reaches its rule in well under a second. Each is
  trimmed to the newest :data:`MAX_PENDING` entries: an evaluator that is down must not let
  them grow without bound, and its sweep at start covers every tenant anyway.
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
from dataclasses import dataclass
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


def stored_key(prefix: str) -> str:
    return f"{prefix}:alerts:stored"


def live_channel(prefix: str) -> str:
    return f"{prefix}:live:touched"


def lease_key(prefix: str) -> str:
    return f"{prefix}:alerts:evaluator-lease"


@dataclass(frozen=True)
class Touched:
    """Tenants with new events: ``stored`` (raw rows readable), ``derived`` (derivations too)."""

    stored: frozenset[str] = frozenset()
    derived: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.stored or self.derived)

    def wakes(self, tenant_id: str, reads_raw_only: bool) -> bool:
        """Whether a rule of ``tenant_id`` has new data to read: a rule reading ``events_raw``
        alone from the first mark, any other once the derivations are stored."""
        return tenant_id in (self.stored if reads_raw_only else self.derived)


class TouchedTenants:
    def __init__(self, client: redis.Redis, prefix: str, *, live: bool = False) -> None:
        """``live``: the derived mark is also PUBLISHed for the API's live subscriptions."""
        self._redis = client
        self._stored = stored_key(prefix)
        self._derived = touched_key(prefix)
        self._channel = live_channel(prefix) if live else None

    @classmethod
    def open(cls, redis_url: str, prefix: str) -> TouchedTenants:
        """The sink's side: both marks, and the live channel."""
        return cls(redis.Redis.from_url(redis_url), prefix, live=True)

    def mark_stored(self, tenants: Iterable[str]) -> None:
        """Tells the evaluator that ``tenants`` have new raw events inserted."""
        self._push(self._stored, tenants, publish=False)

    def mark(self, tenants: Iterable[str]) -> None:
        """Tells the evaluator (and, with ``live``, the live subscriptions) that ``tenants``
        have new events stored with their derivations."""
        self._push(self._derived, tenants, publish=self._channel is not None)

    def _push(self, key: str, tenants: Iterable[str], publish: bool) -> None:
        names = sorted(set(tenants))
        if not names:
            return
        pipe = self._redis.pipeline(transaction=False)
        pipe.rpush(key, *names)
        pipe.ltrim(key, -MAX_PENDING, -1)
        pipe.expire(key, EXPIRE_SECONDS)
        if publish and self._channel is not None:
            pipe.publish(self._channel, json.dumps(names))
        pipe.execute()

    def wait(self, timeout_seconds: float) -> Touched:
        """The tenants marked since the last call, waiting up to ``timeout_seconds`` for one."""
        keys = [self._stored, self._derived]
        first = cast(tuple[bytes, bytes] | None, self._redis.blpop(keys, timeout=timeout_seconds))
        if first is None:
            return Touched()
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.lpop(key, DRAIN)
        rests = cast(list[list[bytes] | None], pipe.execute())
        stored = {v.decode() for v in rests[0] or []}
        derived = {v.decode() for v in rests[1] or []}
        (stored if first[0].decode() == self._stored else derived).add(first[1].decode())
        return Touched(frozenset(stored), frozenset(derived))

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
