"""The web dnt derivation: the dnt page views of ``web_slots`` recounted for the slots a batch's
dnt page views fall in.

A key is ``(tenant_id, slot_ms)``, the 15-minute UTC slot of a dnt ``web.page_view``. dnt events
belong to no visitor, so the visitors' derivation (``derived``) never sees them; this one
recounts their slots' dnt page views from ``events_raw FINAL`` and rewrites those whose counts
changed whole (``slots_sql.rewrite_sql``): a replayed batch recounts the same events once, finds
the counts stored and writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from pulse.families.derivation import (
    Difference,
    Key,
    row_differences,
    time_keys_by_tenant,
    time_keys_in,
)
from pulse.families.web.slots_sql import (
    ONE_TENANT,
    RECOUNTED_DNT,
    SLOT_SECONDS,
    SOME_SLOTS,
    rewrite_sql,
)
from pulse.sinks.clickhouse import ClickHouse

SLOT_MS = SLOT_SECONDS * 1000
KEYS_PER_CHUNK = 5_000
DNT = "ifNull(dnt, false)"

_REWRITE_SQL = rewrite_sql(dnt_rows=RECOUNTED_DNT)
_RECOUNTED = (
    RECOUNTED_DNT.replace("{db}", "")
    .replace("{scope}", ONE_TENANT)
    .replace("{slots_raw}", SOME_SLOTS.replace("{at}", "occurred_at"))
)
_STORED_SQL = f"""
SELECT toInt64(toUnixTimestamp(slot)) AS slot_s, kind, url, dnt_views
FROM web_slots FINAL
WHERE {ONE_TENANT} AND {SOME_SLOTS.replace("{at}", "slot")} AND dnt_views > 0
"""
_RECOUNTED_SQL = f"""
SELECT slot_s, tupleElement(key, 1) AS kind, tupleElement(key, 2) AS url, sum(views) AS dnt_views
FROM (
    SELECT toInt64(toUnixTimestamp(slot)) AS slot_s, views,
        arrayJoin([(toUInt8(0), ''), (toUInt8(1), url)]) AS key
    FROM ({_RECOUNTED})
)
GROUP BY slot_s, kind, url
"""


class WebDntViews:
    """:class:`~pulse.families.derivation.Derivation` of ``web_slots``' dnt page views."""

    name = "web_dnt_views"

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        """Slots of the block's dnt page views (a block without web columns has none)."""
        if "dnt" not in raw:
            return set()
        rows = zip(raw["tenant_id"], raw["event_type"], raw["occurred_at"], raw["dnt"], strict=True)
        return {
            (tenant, int(at) - int(at) % SLOT_MS)
            for tenant, kind, at, hidden in rows
            if kind == "web.page_view" and hidden
        }

    def keys_in(
        self, db: ClickHouse, tenant_id: str | None, from_ms: int | None, to_ms: int | None
    ) -> Iterator[list[Key]]:
        """Slots holding dnt page views in ``[from_ms, to_ms)``."""
        scope = (tenant_id, from_ms, to_ms)
        return time_keys_in(db, {"web.page_view"}, SLOT_MS, scope, KEYS_PER_CHUNK, DNT)

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        """Rewrite the slots of ``keys`` whose stored dnt page views differ from a recount; how
        many slots. A replayed batch finds its counts right and rewrites none (a rewrite reads
        the history of every visitor of the slot, for their gaps)."""
        changed = {(d.key[0], d.key[1]) for d in self.differences(db, keys)}
        for tenant_id, slots in time_keys_by_tenant(changed).items():
            db.execute(_REWRITE_SQL, _params(tenant_id, slots))
        return len(changed)

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        """Slot and page rows whose stored dnt page views differ from a recount."""
        found: list[Difference] = []
        for tenant_id, slots in time_keys_by_tenant(keys).items():
            params = _params(tenant_id, slots)
            stored, recounted = (
                {
                    (int(r["slot_s"]) * 1000, int(r["kind"]), str(r["url"])): r
                    for r in db.query(sql, params)
                }
                for sql in (_STORED_SQL, _RECOUNTED_SQL)
            )
            found.extend(row_differences("web_slots", tenant_id, stored, recounted, ("dnt_views",)))
        return found


def _params(tenant_id: str, slots_ms: Sequence[int]) -> dict[str, Any]:
    seconds = [ms // 1000 for ms in slots_ms]
    return {
        "tenant_id": tenant_id,
        "slots": seconds,
        "lo": seconds[0],
        "hi": seconds[-1] + SLOT_SECONDS,
    }


WEB_DNT_VIEWS = WebDntViews()
