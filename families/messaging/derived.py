"""The messaging derivation: ``messaging_slots`` rows recomputed for the slots a batch touched.

A key is ``(tenant_id, slot_ms)``: the 15-minute UTC slot of a ``message.*`` raw event. A
refresh rewrites every row of its slots from ``events_raw FINAL`` in one statement per tenant
(absolute counts, version from the statement's clock), so it may run any number of times.
Raw events are never deleted, so a slot's set of dimension rows only grows and rewriting the rows
a recomputation finds leaves no stale row behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from pulse.families.derivation import Difference, Key
from pulse.families.messaging.model import COUNTS, DIMENSIONS, EVENT_TYPES, SLOT_MS
from pulse.families.messaging.slots_sql import COLUMNS, slot_counts_sql
from pulse.sinks.clickhouse import ClickHouse, qualified

TABLE = "messaging_slots"
KEYS_PER_CHUNK = 5_000
_TYPES = frozenset(EVENT_TYPES)

# The range bounds let the primary key of events_raw (tenant, type, occurred_at) skip the rest;
# the IN keeps a batch touching two distant slots from recounting everything between them.
_SLOTS_WHERE = """
  AND tenant_id = {tenant_id:String}
  AND occurred_at >= fromUnixTimestamp64Milli({lo_ms:Int64}, 'UTC')
  AND occurred_at < fromUnixTimestamp64Milli({hi_ms:Int64}, 'UTC')
  AND toInt64(toUnixTimestamp(toStartOfFifteenMinutes(occurred_at))) * 1000
      IN {slots:Array(Int64)}
"""

_STORED_SQL = f"""
SELECT tenant_id, toInt64(toUnixTimestamp(slot)) * 1000 AS slot_ms, {", ".join(DIMENSIONS)},
       {", ".join(COUNTS)}
FROM {{table}} FINAL
WHERE tenant_id = {{{{tenant_id:String}}}}
  AND slot >= toDateTime(intDiv({{{{lo_ms:Int64}}}}, 1000), 'UTC')
  AND slot < toDateTime(intDiv({{{{hi_ms:Int64}}}}, 1000), 'UTC')
  AND toInt64(toUnixTimestamp(slot)) * 1000 IN {{{{slots:Array(Int64)}}}}
"""

_KEYS_SQL = f"""
SELECT DISTINCT tenant_id,
       toInt64(toUnixTimestamp(toStartOfFifteenMinutes(occurred_at))) * 1000 AS slot_ms
FROM {{table}}
WHERE event_type IN ({", ".join(f"'{t}'" for t in EVENT_TYPES)}) {{where}}
ORDER BY tenant_id, slot_ms
"""


def _stored_sql(db: ClickHouse) -> str:
    return _STORED_SQL.format(table=qualified(db.database, TABLE))


def _recomputed_sql(db: ClickHouse) -> str:
    recomputed = slot_counts_sql(qualified(db.database, "events_raw"), _SLOTS_WHERE)
    return (
        "SELECT tenant_id, toInt64(toUnixTimestamp(slot)) * 1000 AS slot_ms, "
        f"{', '.join((*DIMENSIONS, *COUNTS))} FROM ({recomputed})"
    )


def slot_of(instant_ms: int) -> int:
    """The start of the 15-minute UTC slot holding ``instant_ms``."""
    return instant_ms - instant_ms % SLOT_MS


def _by_tenant(keys: Collection[Key]) -> dict[str, list[int]]:
    slots: dict[str, set[int]] = defaultdict(set)
    for tenant, slot_ms in keys:
        slots[str(tenant)].add(int(slot_ms))
    return {tenant: sorted(found) for tenant, found in slots.items()}


def _params(tenant: str, slots: Sequence[int]) -> dict[str, Any]:
    return {"tenant_id": tenant, "lo_ms": slots[0], "hi_ms": slots[-1] + SLOT_MS, "slots": slots}


class MessagingSlots:
    """:class:`~pulse.families.derivation.Derivation` of ``messaging_slots``."""

    name = "messaging"

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        return {
            (tenant, slot_of(int(at)))
            for tenant, kind, at in zip(
                raw["tenant_id"], raw["event_type"], raw["occurred_at"], strict=True
            )
            if kind in _TYPES
        }

    def keys_in(
        self, db: ClickHouse, tenant_id: str | None, from_ms: int | None, to_ms: int | None
    ) -> Iterator[list[Key]]:
        where, params = "", dict[str, Any]()
        if tenant_id is not None:
            where += " AND tenant_id = {tenant_id:String}"
            params["tenant_id"] = tenant_id
        if from_ms is not None:
            where += " AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')"
            params["from_ms"] = from_ms
        if to_ms is not None:
            where += " AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"
            params["to_ms"] = to_ms
        sql = _KEYS_SQL.format(table=qualified(db.database, "events_raw"), where=where)
        chunk: list[Key] = []
        for row in db.query(sql, params):
            chunk.append((str(row["tenant_id"]), int(row["slot_ms"])))
            if len(chunk) == KEYS_PER_CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        insert = (
            f"INSERT INTO {qualified(db.database, TABLE)} ({', '.join(COLUMNS)}) "
            + slot_counts_sql(qualified(db.database, "events_raw"), _SLOTS_WHERE)
        )
        written = 0
        for tenant, slots in _by_tenant(keys).items():
            db.execute(insert, _params(tenant, slots))
            written += self._count(db, tenant, slots)
        return written

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        found: list[Difference] = []
        for tenant, slots in _by_tenant(keys).items():
            stored = self._rows(db, _stored_sql(db), tenant, slots)
            fresh = self._rows(db, _recomputed_sql(db), tenant, slots)
            for key in sorted(set(stored) | set(fresh)):
                before, after = stored.get(key, {}), fresh.get(key, {})
                found.extend(
                    Difference(TABLE, key, name, before.get(name, 0), after.get(name, 0))
                    for name in COUNTS
                    if before.get(name, 0) != after.get(name, 0)
                )
        return found

    @staticmethod
    def _rows(
        db: ClickHouse, sql: str, tenant: str, slots: Sequence[int]
    ) -> dict[Key, dict[str, int]]:
        return {
            (tenant, int(row["slot_ms"]), *(str(row[d]) for d in DIMENSIONS)): {
                name: int(row[name]) for name in COUNTS
            }
            for row in db.query(sql, _params(tenant, slots))
        }

    @staticmethod
    def _count(db: ClickHouse, tenant: str, slots: Sequence[int]) -> int:
        rows = db.query(
            f"SELECT toInt64(count()) AS n FROM ({_stored_sql(db)})", _params(tenant, slots)
        )
        return int(rows[0]["n"]) if rows else 0


MESSAGING_SLOTS = MessagingSlots()
