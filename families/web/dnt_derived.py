"""The web dnt derivation: the dnt page view rows of ``web_slots`` (kinds 2 and 3) recounted for
the slots a batch's dnt page views fall in.

A key is ``(tenant_id, slot_ms)``, the 15-minute UTC slot of a dnt ``web.page_view``. dnt events
belong to no visitor, so the visitors' derivation (``derived``) never sees them, and it never
writes these rows either: each derivation owns its rows, so neither copies what the other
computed. A refresh recounts the slots' dnt page views per URL from ``events_raw FINAL`` and
writes the rows whose count changed (zero for a URL whose views are all gone): a replayed batch
recounts the same events once, finds the counts stored and writes nothing.
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
from pulse.families.messaging.derived import slot_of
from pulse.families.messaging.model import SLOT_MS
from pulse.families.web.slots_sql import DNT_REWRITE_SQL, DNT_ROWS_SQL, SLOT_SECONDS, some_slots
from pulse.sinks.clickhouse import ClickHouse

KEYS_PER_CHUNK = 5_000
DNT = "ifNull(dnt, false)"

_ROWS_SQL = some_slots(DNT_ROWS_SQL)


class WebDntViews:
    """:class:`~pulse.families.derivation.Derivation` of ``web_slots``' dnt page view rows."""

    name = "web_dnt_views"

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        """Slots of the block's dnt page views (a block without web columns has none)."""
        if "dnt" not in raw:
            return set()
        rows = zip(raw["tenant_id"], raw["event_type"], raw["occurred_at"], raw["dnt"], strict=True)
        return {
            (tenant, slot_of(int(at)))
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
        """Write the dnt rows of ``keys``' slots whose recount differs from what is stored; how
        many rows that wrote."""
        written = 0
        for tenant_id, slots in time_keys_by_tenant(keys).items():
            rows = db.query(_ROWS_SQL, _params(tenant_id, slots))
            changed = [r for r in rows if r["recounted"] != r["stored"]]
            if changed:
                db.execute(
                    DNT_REWRITE_SQL,
                    {
                        "tenant_id": tenant_id,
                        "w_slots": [int(r["slot_ms"]) // 1000 for r in changed],
                        "w_kinds": [int(r["kind"]) for r in changed],
                        "w_urls": [str(r["url"]) for r in changed],
                        "w_views": [int(r["recounted"]) for r in changed],
                    },
                )
                written += len(changed)
        return written

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        """dnt rows whose stored page views differ from a recount."""
        found: list[Difference] = []
        for tenant_id, slots in time_keys_by_tenant(keys).items():
            rows = db.query(_ROWS_SQL, _params(tenant_id, slots))
            stored, recounted = (
                {
                    (int(r["slot_ms"]), int(r["kind"]), str(r["url"])): {"page_views": int(r[side])}
                    for r in rows
                    if r[side]
                }
                for side in ("stored", "recounted")
            )
            found.extend(
                row_differences("web_slots", tenant_id, stored, recounted, ("page_views",))
            )
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
