"""Recent messaging slots in Redis, so the current hour needs no ClickHouse read.

Layout, per tenant and 15-minute UTC slot (its start in ms):

- hash ``pulse:rt:{tenant}:messaging:slot:{slot_ms}``: field ``{channel}`` → JSON
  ``{"version": v, "sent": n, …}``, the slot's absolute counts for that channel as the latest
  refresh of ``messaging_slots`` stored them (``v`` is that refresh's version).

- sorted set ``pulse:rt:{tenant}:web:active``: member ``{visitor_id}`` scored by the time of the
  visitor's latest event (ms), members older than the active window trimmed at each write, the
  key expiring a window after the latest write (``pulse.families.web.live``).

- sorted set ``pulse:rt:newest``: member ``{tenant}`` scored by the newest ``occurred_at`` (ms)
  stored for it (a score only rises), for the freshness of every answer
  (``pulse.families.newest``); one member per tenant, no expiry.

Slots nest in the local hours of every zone, so the writer needs no zone: the reader, which knows
the tenant's zone, asks for the slots of the hour it wants. A field is replaced only by a version
at least as high (a Lua compare-and-set), so a late or replayed refresh cannot roll a figure back.
Every hash expires after the TTL: a figure that a failed write left behind is stale that long at
most, and the reader falls back to ClickHouse for any slot it does not find.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import redis

from pulse.families.messaging.model import COUNTS, MessagingCounts

_SET_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local old = cjson.decode(current)['version']
  if old and tonumber(old) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class SlotChannel:
    """One channel's counts in one slot of a tenant, as one refresh stored them."""

    tenant_id: str
    slot_ms: int
    channel: str
    version: int
    counts: MessagingCounts


def active_key(tenant_id: str) -> str:
    return f"pulse:rt:{tenant_id}:web:active"


NEWEST_KEY = "pulse:rt:newest"


def slot_key(tenant_id: str, slot_ms: int) -> str:
    return f"pulse:rt:{tenant_id}:messaging:slot:{slot_ms}"


class RealtimeCache:
    """Writes recent slots' counts to Redis and reads them back by slot and channel."""

    def __init__(self, redis_url: str, ttl_seconds: int) -> None:
        self.ttl_ms = ttl_seconds * 1000
        self._redis = redis.Redis.from_url(redis_url)
        self._set_if_newer = self._redis.register_script(_SET_IF_NEWER)

    def write_slots(self, rows: Iterable[SlotChannel]) -> int:
        """Cache ``rows`` (unless Redis holds a newer version of one); how many were sent."""
        pipe = self._redis.pipeline(transaction=False)
        sent = 0
        for row in rows:
            value = json.dumps(
                {"version": row.version, **{c: getattr(row.counts, c) for c in COUNTS}}
            )
            self._set_if_newer(
                keys=[slot_key(row.tenant_id, row.slot_ms)],
                args=[row.channel, row.version, value, self.ttl_ms],
                client=pipe,
            )
            sent += 1
        if sent:
            pipe.execute()
        return sent

    def read_slots(
        self, tenant_id: str, slots: Sequence[int]
    ) -> dict[int, dict[str, MessagingCounts]]:
        """Counts by channel of each of ``slots`` that Redis holds (absent ones left out)."""
        pipe = self._redis.pipeline(transaction=False)
        for slot_ms in slots:
            pipe.hgetall(slot_key(tenant_id, slot_ms))
        # The sync client's methods are typed as sync-or-async; these calls are sync.
        found = cast(list[dict[bytes, bytes]], pipe.execute())
        return {
            slot_ms: {
                field.decode(): MessagingCounts.of(json.loads(raw)) for field, raw in fields.items()
            }
            for slot_ms, fields in zip(slots, found, strict=True)
            if fields
        }

    def mark_active(
        self, tenant_id: str, last_seen_ms: Mapping[str, int], now_ms: int, window_ms: int
    ) -> None:
        """Raise each visitor's score to its latest event, drop those not seen in the window
        before ``now_ms`` and let the set expire a window after this write."""
        key = active_key(tenant_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.zadd(key, dict(last_seen_ms), gt=True)
        pipe.zremrangebyscore(key, "-inf", now_ms - window_ms)
        pipe.pexpire(key, window_ms)
        pipe.execute()

    def count_active(self, tenant_id: str, from_ms: int, to_ms: int) -> int | None:
        """Visitors whose latest event is in ``(from_ms, to_ms]``; None when the set is gone."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.exists(active_key(tenant_id))
        pipe.zcount(active_key(tenant_id), f"({from_ms}", to_ms)
        exists, count = cast(list[int], pipe.execute())
        return int(count) if exists else None

    def mark_newest(self, newest_ms: Mapping[str, int]) -> None:
        """Raise each tenant's newest stored event time to ``newest_ms`` (never lower it)."""
        if newest_ms:
            self._redis.zadd(NEWEST_KEY, dict(newest_ms), gt=True)

    def newest_event(self, tenant_id: str) -> int | None:
        """The newest event time stored for ``tenant_id``, or None when Redis has none."""
        score = cast(float | None, self._redis.zscore(NEWEST_KEY, tenant_id))
        return None if score is None else int(score)

    def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self._redis.close()
