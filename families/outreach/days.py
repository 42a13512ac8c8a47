"""The outreach derivation: ``outreach_days`` rows recomputed for the UTC days a batch touched.

A key is ``(tenant_id, day_ms)``: the UTC day of a ``message.*`` raw event. A refresh rewrites
every row of its days from ``messaging_slots FINAL``, which the messaging derivation (registered
before this one) has just refreshed for the same batch, so the sink and ``pulse recalc`` keep
the order slots → days; one statement serves up to ``derivation.TENANTS_PER_STATEMENT`` tenants.
Absolute counts with the statement's clock as version: repeating a refresh is harmless and a
later one wins. Slot rows are never deleted, so a day's set of rows only grows and a refresh
leaves no stale row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from pulse.families.derivation import (
    Difference,
    Key,
    tenants_or,
    time_keys_in,
    time_keys_in_groups,
)
from pulse.families.messaging.model import COUNTS, EVENT_TYPES
from pulse.families.outreach.days_sql import COLUMNS, day_counts_sql
from pulse.sinks.clickhouse import ClickHouse, qualified

TABLE = "outreach_days"
DAY_MS = 86_400_000
KEYS_PER_CHUNK = 500
_TYPES = frozenset(EVENT_TYPES)
_DIMENSIONS = ("campaign_id", "template_id", "channel")


def _of_days(column: str, day_of: str, tenants: int) -> str:
    """Rows whose ``column`` falls in the days of their tenant (``day_of`` its day): a range on
    the primary key, then the days themselves; fixed text, the values are :func:`_params`."""
    clauses = [
        f"{column} >= toDateTime(intDiv({{lo{t}:Int64}}, 1000), 'UTC')"
        f" AND {column} < toDateTime(intDiv({{hi{t}:Int64}}, 1000), 'UTC')"
        f" AND toInt64(toUnixTimestamp({day_of})) * 1000 IN {{days{t}:Array(Int64)}}"
        for t in range(tenants)
    ]
    return f" AND ({tenants_or(clauses)})"


def _params(days: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for t, (tenant, tenant_days) in enumerate(days.items()):
        params[f"tenant{t}"], params[f"days{t}"] = tenant, list(tenant_days)
        params[f"lo{t}"], params[f"hi{t}"] = tenant_days[0], tenant_days[-1] + DAY_MS
    return params


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
        insert = f"INSERT INTO {qualified(db.database, TABLE)} ({', '.join(COLUMNS)}) "
        return sum(
            db.execute(insert + self._recomputed(db, len(days)), _params(days))
            for days in time_keys_in_groups(keys)
        )

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        found: list[Difference] = []
        for days in time_keys_in_groups(keys):
            stored = self._rows(db, self._stored(db, len(days)), days)
            fresh = self._rows(db, self._recomputed(db, len(days)), days)
            for key in sorted(set(stored) | set(fresh)):
                before, after = stored.get(key, {}), fresh.get(key, {})
                found.extend(
                    Difference(TABLE, key, name, before.get(name, 0), after.get(name, 0))
                    for name in COUNTS
                    if before.get(name, 0) != after.get(name, 0)
                )
        return found

    @staticmethod
    def _recomputed(db: ClickHouse, tenants: int) -> str:
        return day_counts_sql(
            qualified(db.database, "messaging_slots"),
            _of_days("slot", "toStartOfDay(slot)", tenants),
        )

    @staticmethod
    def _stored(db: ClickHouse, tenants: int) -> str:
        return (
            f"SELECT tenant_id, day, {', '.join((*_DIMENSIONS, *COUNTS))}"
            f" FROM {qualified(db.database, TABLE)} FINAL"
            f" WHERE 1 {_of_days('day', 'day', tenants)}"
        )

    @staticmethod
    def _rows(
        db: ClickHouse, sql: str, days: Mapping[str, Sequence[int]]
    ) -> dict[Key, dict[str, int]]:
        keyed = (
            "SELECT tenant_id, toInt64(toUnixTimestamp(day)) * 1000 AS day_ms,"
            f" {', '.join((*_DIMENSIONS, *COUNTS))} FROM ({sql})"
        )
        return {
            (str(row["tenant_id"]), int(row["day_ms"]), *(str(row[d]) for d in _DIMENSIONS)): {
                name: int(row[name]) for name in COUNTS
            }
            for row in db.query(keyed, _params(days))
        }


OUTREACH_DAYS = OutreachDays()
