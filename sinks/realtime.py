"""The current hour's messaging counters in Redis, for dashboards that cannot wait for FINAL.

Layout, per tenant and local hour bucket (the bucket's UTC start in ms):

- hash ``pulse:rt:{tenant}:messaging:{bucket_start_ms}``: field ``{channel}|{slice}`` → JSON
  ``{"version": v, "sent": n, …}``, the slice's absolute totals;
- sorted set ``pulse:rt:{tenant}:messaging:buckets``: member ``bucket_start_ms`` scored by
  ``bucket_end_ms``, so a reader finds the bucket containing an instant without knowing the
  tenant's time zone.

Only hour rows whose bucket contains the writer's "now" are cached; everything expires after the
TTL, so a stale figure lives at most that long. A slice is replaced only by a version at least as
high (a Lua compare-and-set), so a late replay cannot roll a figure back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

import redis

from pulse.messaging import COUNTERS

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
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
"""


def bucket_key(tenant_id: str, bucket_start_ms: int) -> str:
    return f"pulse:rt:{tenant_id}:messaging:{bucket_start_ms}"


def index_key(tenant_id: str) -> str:
    return f"pulse:rt:{tenant_id}:messaging:buckets"


class RealtimeCache:
    """Writes current-hour counter slices to Redis and reads them back summed by channel."""

    def __init__(self, redis_url: str, ttl_seconds: int) -> None:
        self.ttl_ms = ttl_seconds * 1000
        self._redis = redis.Redis.from_url(redis_url)
        self._set_if_newer = self._redis.register_script(_SET_IF_NEWER)

    def write_counters(self, rows: Iterable[Mapping[str, Any]], now_ms: int) -> int:
        """Cache the hour rows among ``rows`` whose bucket contains ``now_ms``; how many."""
        current = [
            r
            for r in rows
            if r["granularity"] == "hour" and r["bucket_start"] <= now_ms < r["bucket_end"]
        ]
        if not current:
            return 0
        pipe = self._redis.pipeline(transaction=False)
        for row in current:
            tenant, start = row["tenant_id"], row["bucket_start"]
            value = json.dumps({"version": row["version"], **{c: row[c] for c in COUNTERS}})
            self._set_if_newer(
                keys=[bucket_key(tenant, start), index_key(tenant)],
                args=[
                    f"{row['channel']}|{row['slice']}",
                    row["version"],
                    value,
                    self.ttl_ms,
                    row["bucket_end"],
                    start,
                ],
                client=pipe,
            )
        pipe.execute()
        # Drop buckets that ended: their hashes expire on their own, the index would not.
        for tenant in {r["tenant_id"] for r in current}:
            self._redis.zremrangebyscore(index_key(tenant), "-inf", now_ms)
        return len(current)

    def read_current_hour(self, tenant_id: str, now_ms: int) -> dict[str, dict[str, int]]:
        """Counts by channel of the tenant's hour bucket containing ``now_ms`` ({} if none)."""
        # The sync client's methods are typed as sync-or-async; these calls are sync.
        first = cast(
            list[bytes],
            self._redis.zrangebyscore(index_key(tenant_id), f"({now_ms}", "+inf", start=0, num=1),
        )
        if not first or int(first[0]) > now_ms:
            return {}
        fields = cast(dict[bytes, bytes], self._redis.hgetall(bucket_key(tenant_id, int(first[0]))))
        channels: dict[str, dict[str, int]] = {}
        for field, raw in fields.items():
            channel = field.decode().rsplit("|", 1)[0]
            counts = json.loads(raw)
            total = channels.setdefault(channel, dict.fromkeys(COUNTERS, 0))
            for name in COUNTERS:
                total[name] += int(counts[name])
        return channels

    def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self._redis.close()
