"""Traffic (METRICS.md §3): ``message.sent`` + ``message.received`` by local hour of day and by
local day of week, and the peak hours, from ``messaging_slots``.

A 15-minute UTC slot lies inside one local hour of every zone, so ``toHour(slot, tz)`` files
each slot's events under their local hour; on a fall-back day both local 01:00 hours are hour 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulse.graphql.queries import Reader

PEAK_HOURS = 3
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_SQL = """
SELECT toHour(slot, {tz:String}) AS hour, toDayOfWeek(slot, 0, {tz:String}) AS weekday,
       toInt64(sum(sent + received)) AS messages
FROM messaging_slots FINAL
WHERE tenant_id = {tenant_id:String}
  AND slot >= toDateTime(intDiv({from_ms:Int64}, 1000), 'UTC')
  AND slot < toDateTime(intDiv({to_ms:Int64}, 1000), 'UTC'){filters}
GROUP BY hour, weekday
"""


@dataclass(frozen=True)
class TrafficQuery:
    """One tenant's traffic over ``[from_ms, to_ms)`` (slot-aligned) in ``time_zone``."""

    tenant_id: str
    from_ms: int
    to_ms: int
    time_zone: str
    channel: str | None = None
    org_unit: str | None = None
    # Any of these org units (a token confined to several, ``pulse.graphql.permissions``).
    org_units: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Traffic:
    """Messages by local hour (24, hour 0 first) and weekday (7, Monday first)."""

    by_hour: tuple[int, ...]
    by_weekday: tuple[int, ...]

    def peak_hours(self) -> list[int]:
        """The ``PEAK_HOURS`` busiest hours, ties to the earlier hour; silent hours never."""
        busy = [hour for hour in range(24) if self.by_hour[hour] > 0]
        return sorted(busy, key=lambda hour: (-self.by_hour[hour], hour))[:PEAK_HOURS]


def traffic(db: Reader, q: TrafficQuery) -> Traffic:
    """The traffic of ``q``: every hour and weekday, silent ones as zeros."""
    given = {"channel": q.channel, "org_unit": q.org_unit}
    filters = {column: value for column, value in given.items() if value is not None}
    clauses = "".join(f" AND {c} = {{{c}:String}}" for c in filters)
    params: dict[str, Any] = {
        "tenant_id": q.tenant_id,
        "tz": q.time_zone,
        "from_ms": q.from_ms,
        "to_ms": q.to_ms,
        **filters,
    }
    if q.org_units is not None:
        clauses += " AND org_unit IN {org_units:Array(String)}"
        params["org_units"] = list(q.org_units)
    sql = _SQL.replace("{filters}", clauses)
    hours = [0] * 24
    weekdays = [0] * 7
    for row in db.query(sql, params):
        hours[int(row["hour"])] += int(row["messages"])
        weekdays[int(row["weekday"]) - 1] += int(row["messages"])
    return Traffic(by_hour=tuple(hours), by_weekday=tuple(weekdays))
