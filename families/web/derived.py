"""The web :class:`Derivation`: ``web_sessions`` recomputed per visitor.

The materialized view has copied a batch's non-dnt web events into ``web_visitor_events`` by the
time the sink calls :meth:`WebSessions.refresh`, so a refresh reads every stored event of the
touched visitors (their whole history: a ``session_id`` groups events whatever the gaps, so no
window of time bounds what one late event can join) and rewrites all their rows in one statement
per tenant and chunk of visitors.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from pulse.families.derivation import (
    Difference,
    Key,
    chunked_keys,
    entity_chunks,
    row_differences,
    scope_bounds,
)
from pulse.families.web.sessions_sql import SOME, refresh_sql, sessions_sql
from pulse.families.web.slots_sql import (
    CHANGED_SLOTS_SQL,
    ERASED_SLOTS_SQL,
    ROLLED_SQL,
    SLOT_SECONDS,
    rewrite_sql,
)
from pulse.sinks.clickhouse import ClickHouse, qualified

CHUNK = 2_000
WEB_EVENTS = frozenset({"web.page_view", "web.event"})

# Visitors in the order they first came, so a chunk's rows sit in a narrow stretch of time.
_KEYS_SQL = """
SELECT tenant_id, visitor_id
FROM web_visitor_events
WHERE 1 {bounds}
GROUP BY tenant_id, visitor_id
ORDER BY tenant_id, min(t), visitor_id
"""

# What a row holds besides its key; compared by ``differences``.
CONTENT = (
    "visitor_id",
    "is_page_view",
    "url",
    "session_start",
    "is_entry",
    "entry_page",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
    "page_views",
    "length_ms",
    "pages",
    "event_names",
)
_SELECT = f"SELECT t, event_id, {', '.join(CONTENT)}"
_STORED_SQL = f"""
{_SELECT} FROM web_sessions FINAL
WHERE tenant_id = {{tenant_id:String}} AND visitor_id IN {{ids:Array(String)}}
"""
_RECOMPUTED_SQL = f"{_SELECT} FROM ({sessions_sql(SOME)})"


_FORGET_SQL = (
    "DELETE FROM {table} WHERE tenant_id = {{tenant_id:String}}"
    " AND visitor_id IN {{ids:Array(String)}} AND event_id IN {{event_ids:Array(String)}}"
)


_KEYED_BY_EVENT = (
    "web_visitor_events",
    "web_sessions",
    "web_visitor_sessions",
    "web_visitor_sessions_rolled",
)
_REWRITE_SQL = rewrite_sql()


class WebSessions:
    """``web_sessions`` and the slot rollups (``web_slots``), keyed by ``(tenant_id,
    visitor_id)``."""

    name = "web_sessions"

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        """Visitors of the block's non-dnt web events (a block without web columns has none)."""
        if "visitor_id" not in raw:
            return set()
        dnt = raw.get("dnt") or [None] * len(raw["tenant_id"])
        rows = zip(raw["tenant_id"], raw["event_type"], raw["visitor_id"], dnt, strict=True)
        return {
            (tenant, visitor)
            for tenant, kind, visitor, hidden in rows
            if kind in WEB_EVENTS and visitor and not hidden
        }

    def keys_in(
        self, db: ClickHouse, tenant_id: str | None, from_ms: int | None, to_ms: int | None
    ) -> Iterator[list[Key]]:
        """Visitors with non-dnt web events in ``[from_ms, to_ms)``, :data:`CHUNK` at a time."""
        bounds, params = scope_bounds("t", (tenant_id, from_ms, to_ms))
        rows = db.query(_KEYS_SQL.replace("{bounds}", bounds), params)
        return chunked_keys(rows, "visitor_id", CHUNK)

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        """Rewrite every row of the visitors ``keys``, then the slot rollups their new rows
        changed; the number of visitors recomputed."""
        sql = refresh_sql(SOME)
        for tenant_id, ids in entity_chunks(keys, CHUNK):
            params = {"tenant_id": tenant_id, "ids": ids}
            db.execute(sql, params)
            changed = db.query(CHANGED_SLOTS_SQL, params)
            _rewrite_slots(db, tenant_id, [int(r["slot"]) for r in changed])
            db.execute(ROLLED_SQL, params)
        return len(keys)

    def forget(self, db: ClickHouse, keys: Collection[Key], event_ids: Collection[str]) -> int:
        """After an erasure: drop the erased events' copies and session rows (keyed by the
        events, so no refresh writes them again), then re-session what remains of the visitors.
        How many visitors that touched."""
        erased = sorted(set(event_ids))
        for tenant_id, ids in entity_chunks(keys, CHUNK):
            params = {"tenant_id": tenant_id, "ids": ids, "event_ids": erased}
            slots = [int(r["slot"]) for r in db.query(ERASED_SLOTS_SQL, params)]
            for table in _KEYED_BY_EVENT:
                db.execute(_FORGET_SQL.format(table=qualified(db.database, table)), params)
            # The refresh below rewrites the slots of what remains; those of the erased events
            # it cannot see.
            _rewrite_slots(db, tenant_id, slots)
        return self.refresh(db, keys)

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        """Rows stored for ``keys`` that a recomputation would not write the same way."""
        found: list[Difference] = []
        for tenant_id, ids in entity_chunks(keys, CHUNK):
            params = {"tenant_id": tenant_id, "ids": ids}
            stored = _by_key(db.query(_STORED_SQL, params))
            recomputed = _by_key(db.query(_RECOMPUTED_SQL, params))
            found.extend(row_differences(self.name, tenant_id, stored, recomputed, CONTENT))
        return found


def _rewrite_slots(db: ClickHouse, tenant_id: str, slots: list[int]) -> None:
    if slots:
        params = {"tenant_id": tenant_id, "slots": slots, "lo": slots[0]}
        db.execute(_REWRITE_SQL, {**params, "hi": slots[-1] + SLOT_SECONDS})


def _by_key(rows: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    return {(r["t"], str(r["event_id"])): r for r in rows}


WEB_SESSIONS = WebSessions()
