"""The outreach derivation: ``outreach_days`` rows recomputed for the UTC days a batch touched.

A key is ``(tenant_id, day_ms)``: the UTC day of a ``message.*`` raw event. A refresh rewrites
every row of its days from ``messaging_slots FINAL``, which the messaging derivation (registered
before this one) has just refreshed for the same batch, so the sink and ``pulse recalc`` keep
the order slots → days. Absolute counts with the statement's clock as version: repeating a
refresh is harmless and a later one wins. Slot rows are never deleted, so a day's set of rows
only grows and a refresh leaves no stale row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from pulse.families.derivation import Difference, Key, time_keys_by_tenant, time_keys_in
from pulse.families.messaging.model import COUNTS, EVENT_TYPES
from pulse.families.outreach.days_sql import COLUMNS, day_counts_sql
from pulse.sinks.clickhouse import ClickHouse, qualified

TABLE = "outreach_days"
DAY_MS = 86_400_000
KEYS_PER_CHUNK = 500
_TYPES = frozenset(EVENT_TYPES)
_DIMENSIONS = ("campaign_id", "template_id", "channel")

# The days' slots: a range on the slots' primary key, then the days themselves.
_OF_DAYS = """
    AND tenant_id = {tenant_id:String}
    AND slot >= toDateTime(intDiv({lo:Int64}, 1000), 'UTC')
    AND slot < toDateTime(intDiv({hi:Int64}, 1000), 'UTC')
    AND toInt64(toUnixTimestamp(toStartOfDay(slot))) * 1000 IN {days:Array(Int64)}"""


def _params(tenant: str, days: Sequence[int]) -> dict[str, Any]:
    return {"tenant_id": tenant, "lo": days[0], "hi": days[-1] + DAY_MS, "days": list(days)}


class OutreachDays:
    """:class:`~pulse.families.derivation.Derivation` of ``outreach_days``."""

    name = "outreach"

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        return {
            (tenant, int(at) - int(at) % DAY_MS)
            for tenant, kind, at in zip(
                raw["tenant_id"], raw["event_type"], raw["occurred_at"], strict=True
            )
            if kind in _TYPES
        }

    def keys_in(
        self, db: ClickHouse, tenant_id: str | None, from_ms: int | None, to_ms: int | None
    ) -> Iterator[list[Key]]:
        return time_keys_in(db, _TYPES, DAY_MS, (tenant_id, from_ms, to_ms), KEYS_PER_CHUNK)

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        written = 0
        insert = f"INSERT INTO {qualified(db.database, TABLE)} ({', '.join(COLUMNS)}) "
        for tenant, days in time_keys_by_tenant(keys).items():
            db.execute(insert + self._recomputed(db), _params(tenant, days))
            written += len(self._rows(db, self._stored(db), tenant, days))
        return written

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        found: list[Difference] = []
        for tenant, days in time_keys_by_tenant(keys).items():
            stored = self._rows(db, self._stored(db), tenant, days)
            fresh = self._rows(db, self._recomputed(db), tenant, days)
            for key in sorted(set(stored) | set(fresh)):
                before, after = stored.get(key, {}), fresh.get(key, {})
                found.extend(
                    Difference(TABLE, key, name, before.get(name, 0), after.get(name, 0))
                    for name in COUNTS
                    if before.get(name, 0) != after.get(name, 0)
                )
        return found

    @staticmethod
    def _recomputed(db: ClickHouse) -> str:
        return day_counts_sql(qualified(db.database, "messaging_slots"), _OF_DAYS)

    @staticmethod
    def _stored(db: ClickHouse) -> str:
        return (
            f"SELECT tenant_id, day, {', '.join((*_DIMENSIONS, *COUNTS))}"
            f" FROM {qualified(db.database, TABLE)} FINAL"
            " WHERE tenant_id = {tenant_id:String}"
            " AND day >= toDateTime(intDiv({lo:Int64}, 1000), 'UTC')"
            " AND day < toDateTime(intDiv({hi:Int64}, 1000), 'UTC')"
            " AND toInt64(toUnixTimestamp(day)) * 1000 IN {days:Array(Int64)}"
        )

    @staticmethod
    def _rows(
        db: ClickHouse, sql: str, tenant: str, days: Sequence[int]
    ) -> dict[Key, dict[str, int]]:
        keyed = (
            "SELECT toInt64(toUnixTimestamp(day)) * 1000 AS day_ms,"
            f" {', '.join((*_DIMENSIONS, *COUNTS))} FROM ({sql})"
        )
        return {
            (tenant, int(row["day_ms"]), *(str(row[d]) for d in _DIMENSIONS)): {
                name: int(row[name]) for name in COUNTS
            }
            for row in db.query(keyed, _params(tenant, days))
        }


OUTREACH_DAYS = OutreachDays()
