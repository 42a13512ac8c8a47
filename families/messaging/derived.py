"""The messaging derivation: ``messaging_slots`` rows recomputed for the slots a batch touched.

A key is ``(tenant_id, slot_ms)``: the 15-minute UTC slot of a ``message.*`` raw event. A
refresh rewrites every row of its slots from ``events_raw FINAL`` (absolute counts, version from
the statement's clock), so it may run any number of times; one statement serves up to 16
tenants (``derivation.TENANTS_PER_STATEMENT``), since a statement's cost is mostly fixed. Under
the sink raw events are only ever added, so a slot's set of dimension rows only grows and
rewriting the rows a recomputation finds leaves no stale row behind. An erasure deletes raw
events: it calls :meth:`MessagingSlots.forget`, whose statement also writes zero counts for each
stored row of its slots that the recomputation no longer finds (``retiring_sql``). Folding that
into every refresh was measured here at +30% per sink batch (a second read of the stored rows
and a regrouping), for rows only an erasure can leave behind.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any

from pulse.families.derivation import (
    Difference,
    Key,
    tenants_or,
    time_keys_in,
    time_keys_in_groups,
)
from pulse.families.messaging.model import COUNTS, DIMENSIONS, EVENT_TYPES, SLOT_MS
from pulse.families.messaging.slots_sql import COLUMNS, retiring_sql, slot_counts_sql
from pulse.sinks.clickhouse import ClickHouse, qualified

TABLE = "messaging_slots"
KEYS_PER_CHUNK = 5_000
_TYPES = frozenset(EVENT_TYPES)

# A refresh reads ranges of ``occurred_at`` around its slots, so the primary key of events_raw
# (tenant, type, occurred_at) and of messaging_slots (tenant, slot) skips the rest; runs of slots
# further apart than a slot are separate ranges (at most MAX_RANGES, the widest gaps cut), so a
# batch of recent events with a few from last month does not recount the weeks between.
MAX_RANGES = 32


def _ranges(slots: Sequence[int]) -> list[tuple[int, int]]:
    """``[lo, hi)`` instants covering the sorted ``slots``."""
    gaps = sorted(range(1, len(slots)), key=lambda i: slots[i] - slots[i - 1], reverse=True)
    cuts = sorted(i for i in gaps[: MAX_RANGES - 1] if slots[i] - slots[i - 1] > SLOT_MS)
    bounds = [0, *cuts, len(slots)]
    return [(slots[a], slots[b - 1] + SLOT_MS) for a, b in pairwise(bounds)]


def _in_slots(column: str, plan: Sequence[int]) -> str:
    """``column`` in the ranges of its tenant (tenant ``i`` of ``plan`` has ``plan[i]`` ranges)
    and its slot one of that tenant's; fixed text, the tenants and bounds are parameters
    (:func:`_params`)."""
    clauses = []
    for t, ranges in enumerate(plan):
        either = " OR ".join(
            f"({column} >= fromUnixTimestamp64Milli({{lo{t}_{i}:Int64}}, 'UTC')"
            f" AND {column} < fromUnixTimestamp64Milli({{hi{t}_{i}:Int64}}, 'UTC'))"
            for i in range(ranges)
        )
        clauses.append(
            f"({either}) AND toInt64(toUnixTimestamp(toStartOfFifteenMinutes({column}))) * 1000"
            f" IN {{slots{t}:Array(Int64)}}"
        )
    return f" AND ({tenants_or(clauses)})"


def _plan(slots: Mapping[str, Sequence[int]]) -> list[int]:
    return [len(_ranges(tenant_slots)) for tenant_slots in slots.values()]


def _params(slots: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for t, (tenant, tenant_slots) in enumerate(slots.items()):
        params[f"tenant{t}"], params[f"slots{t}"] = tenant, tenant_slots
        for i, (lo, hi) in enumerate(_ranges(tenant_slots)):
            params[f"lo{t}_{i}"], params[f"hi{t}_{i}"] = lo, hi
    return params


def _stored_sql(db: ClickHouse, slots: Mapping[str, Sequence[int]]) -> str:
    return (
        "SELECT tenant_id, toInt64(toUnixTimestamp(slot)) * 1000 AS slot_ms,"
        f" {', '.join((*DIMENSIONS, *COUNTS))}"
        f" FROM {qualified(db.database, TABLE)} FINAL"
        f" WHERE 1 {_in_slots('slot', _plan(slots))}"
    )


def _recomputed_sql(db: ClickHouse, slots: Mapping[str, Sequence[int]]) -> str:
    return slot_counts_sql(
        qualified(db.database, "events_raw"), _in_slots("occurred_at", _plan(slots))
    )


def slot_of(instant_ms: int) -> int:
    """The start of the 15-minute UTC slot holding ``instant_ms``."""
    return instant_ms - instant_ms % SLOT_MS


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
        return time_keys_in(db, _TYPES, SLOT_MS, (tenant_id, from_ms, to_ms), KEYS_PER_CHUNK)

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        insert = f"INSERT INTO {qualified(db.database, TABLE)} ({', '.join(COLUMNS)}) "
        return sum(
            db.execute(insert + _recomputed_sql(db, slots), _params(slots))
            for slots in time_keys_in_groups(keys)
        )

    def forget(self, db: ClickHouse, keys: Collection[Key], event_ids: Collection[str]) -> int:
        """After an erasure: rewrite the slots of ``keys`` and retire (zero) their rows whose
        events are all gone; how many rows that wrote."""
        table = qualified(db.database, TABLE)
        written = 0
        for slots in time_keys_in_groups(keys):
            select = retiring_sql(
                _recomputed_sql(db, slots), table, _in_slots("slot", _plan(slots))
            )
            written += db.execute(
                f"INSERT INTO {table} ({', '.join(COLUMNS)}) {select}", _params(slots)
            )
        return written

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        found: list[Difference] = []
        for slots in time_keys_in_groups(keys):
            stored = self._rows(db, _stored_sql(db, slots), slots)
            recomputed = _recomputed_sql(db, slots)
            fresh = self._rows(
                db,
                "SELECT tenant_id, toInt64(toUnixTimestamp(slot)) * 1000 AS slot_ms,"
                f" {', '.join((*DIMENSIONS, *COUNTS))} FROM ({recomputed})",
                slots,
            )
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
        db: ClickHouse, sql: str, slots: Mapping[str, Sequence[int]]
    ) -> dict[Key, dict[str, int]]:
        return {
            (str(row["tenant_id"]), int(row["slot_ms"]), *(str(row[d]) for d in DIMENSIONS)): {
                name: int(row[name]) for name in COUNTS
            }
            for row in db.query(sql, _params(slots))
        }


MESSAGING_SLOTS = MessagingSlots()
