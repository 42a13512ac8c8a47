"""The SQL the API runs against ClickHouse, with every caller-supplied value bound as a parameter.

Reads follow the row contract (docs/ARCHITECTURE.md): ``FINAL`` collapses replayed versions,
then slices (and channels, unless one is asked for) are summed. Instants cross the boundary as
integer milliseconds since the epoch, whatever the column's exact DateTime type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pulse.messaging import COUNTERS

# The FRT fact's bucket column of each granularity; the only text ever put into SQL by name.
_FRT_BUCKET_COLUMN = {
    "hour": "hour_start",
    "day": "day_start",
    "week": "week_start",
    "month": "month_start",
}

_SUMS = ", ".join(f"toInt64(sum({c})) AS {c}" for c in COUNTERS)
_MS = "toUnixTimestamp64Milli(toDateTime64({column}, 3, 'UTC'))"
_FROM = "fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')"
_TO = "fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"
_CHANNEL = "AND channel = {channel:String}"

_COUNTERS_SQL = f"""
SELECT {_MS.format(column="bucket_start")} AS start_ms,
       {_MS.format(column="max(bucket_end)")} AS end_ms,
       {_SUMS}
FROM messaging_counters FINAL
WHERE tenant_id = {{tenant_id:String}} AND granularity = {{granularity:String}}
  AND bucket_start >= {_FROM} AND bucket_start < {_TO} {{channel_filter}}
GROUP BY bucket_start
ORDER BY bucket_start
"""

_BUCKET_ENDS_SQL = f"""
SELECT {_MS.format(column="bucket_start")} AS start_ms,
       {_MS.format(column="max(bucket_end)")} AS end_ms
FROM messaging_counters FINAL
WHERE tenant_id = {{tenant_id:String}} AND granularity = {{granularity:String}}
  AND bucket_start >= {_FROM} AND bucket_start < {_TO}
GROUP BY bucket_start
"""

# Nearest rank ceil(p/100 · n) in integer arithmetic, so no float rounding moves a rank.
_FRT_SQL = f"""
SELECT {_MS.format(column="{bucket}")} AS start_ms,
       toInt64(count()) AS conversations,
       toInt64(sum(frt_ms)) AS total_ms,
       toInt64(arraySort(groupArray(frt_ms))[intDiv(50 * count() + 99, 100)]) AS p50_ms,
       toInt64(arraySort(groupArray(frt_ms))[intDiv(90 * count() + 99, 100)]) AS p90_ms
FROM conversation_frt FINAL
WHERE tenant_id = {{tenant_id:String}}
  AND {{bucket}} >= {_FROM} AND {{bucket}} < {_TO} {{channel_filter}}
GROUP BY {{bucket}}
"""

_CURRENT_HOUR_SQL = f"""
SELECT channel, {_SUMS}
FROM messaging_counters FINAL
WHERE tenant_id = {{tenant_id:String}} AND granularity = 'hour'
  AND bucket_start <= fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC')
  AND bucket_end > fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC')
GROUP BY channel
ORDER BY channel
"""


class Reader(Protocol):
    """The part of ``pulse.sinks.clickhouse.ClickHouse`` the API uses: parameter-bound reads."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Window:
    """A tenant's buckets of one granularity starting in ``[from_ms, to_ms)``, maybe one channel."""

    tenant_id: str
    granularity: str
    from_ms: int
    to_ms: int
    channel: str | None = None

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "granularity": self.granularity,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
        }
        if self.channel is not None:
            params["channel"] = self.channel
        return params

    @property
    def channel_filter(self) -> str:
        return _CHANNEL if self.channel is not None else ""


@dataclass(frozen=True)
class CounterRow:
    start_ms: int
    end_ms: int
    counts: dict[str, int]


@dataclass(frozen=True)
class FrtRow:
    start_ms: int
    conversations: int
    total_ms: int
    p50_ms: int
    p90_ms: int


def counter_buckets(db: Reader, window: Window) -> list[CounterRow]:
    """Summed counters of every bucket of ``window`` that has any."""
    sql = _COUNTERS_SQL.replace("{channel_filter}", window.channel_filter)
    return [
        CounterRow(
            start_ms=int(row["start_ms"]),
            end_ms=int(row["end_ms"]),
            counts={c: int(row[c]) for c in COUNTERS},
        )
        for row in db.query(sql, window.params())
    ]


def bucket_ends(db: Reader, window: Window) -> dict[int, int]:
    """Bucket start → end of every counter bucket of ``window``, whatever its channel."""
    params = {k: v for k, v in window.params().items() if k != "channel"}
    return {int(r["start_ms"]): int(r["end_ms"]) for r in db.query(_BUCKET_ENDS_SQL, params)}


def frt_buckets(db: Reader, window: Window) -> list[FrtRow]:
    """Count, total and exact nearest-rank p50/p90 of the FRT facts of each bucket."""
    sql = _FRT_SQL.replace("{bucket}", _FRT_BUCKET_COLUMN[window.granularity]).replace(
        "{channel_filter}", window.channel_filter
    )
    params = {k: v for k, v in window.params().items() if k != "granularity"}
    return [
        FrtRow(
            start_ms=int(row["start_ms"]),
            conversations=int(row["conversations"]),
            total_ms=int(row["total_ms"]),
            p50_ms=int(row["p50_ms"]),
            p90_ms=int(row["p90_ms"]),
        )
        for row in db.query(sql, params)
    ]


def current_hour_by_channel(db: Reader, tenant_id: str, now_ms: int) -> dict[str, dict[str, int]]:
    """Summed counters of the hour bucket holding ``now_ms``, by channel."""
    rows = db.query(_CURRENT_HOUR_SQL, {"tenant_id": tenant_id, "now_ms": now_ms})
    return {str(row["channel"]): {c: int(row[c]) for c in COUNTERS} for row in rows}
