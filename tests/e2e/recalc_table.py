"""A tiny real derivation for the end-to-end tests of ``pulse recalc``: per conversation, its
number of raw events and its first instant, in a table the test creates (no family's tables)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from pulse.families.derivation import Difference, Key
from pulse.sinks.clickhouse import ClickHouse

TABLE = "recalc_demo"
COLUMNS = ("events", "first_at")

CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    tenant_id String, conversation_id String, events UInt64,
    first_at DateTime64(3, 'UTC'), version UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (tenant_id, conversation_id)
"""

_KEYS = "has(arrayZip({t:Array(String)}, {c:Array(String)}), (tenant_id, conversation_id))"
_RECOMPUTED = f"""
SELECT tenant_id, conversation_id, count() AS events, min(occurred_at) AS first_at
FROM events_raw FINAL WHERE {_KEYS} GROUP BY tenant_id, conversation_id
"""


def _params(keys: Collection[Key]) -> dict[str, Any]:
    return {"t": [k[0] for k in keys], "c": [k[1] for k in keys]}


class ConversationCounts:
    """The :class:`~pulse.families.derivation.Derivation` protocol over :data:`TABLE`."""

    name = "demo"

    def __init__(self, chunk: int = 2) -> None:
        self.chunk = chunk

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        return set(zip(raw["tenant_id"], raw["conversation_id"], strict=True))

    def keys_in(
        self, db: ClickHouse, tenant_id: str | None, from_ms: int | None, to_ms: int | None
    ) -> Iterator[list[Key]]:
        where, params = ["conversation_id != ''"], dict[str, Any]()
        if tenant_id is not None:
            where.append("tenant_id = {tenant:String}")
            params["tenant"] = tenant_id
        if from_ms is not None:
            where.append("occurred_at >= fromUnixTimestamp64Milli({from:Int64})")
            params["from"] = from_ms
        if to_ms is not None:
            where.append("occurred_at < fromUnixTimestamp64Milli({to:Int64})")
            params["to"] = to_ms
        rows = db.query(
            "SELECT DISTINCT tenant_id, conversation_id FROM events_raw FINAL "
            f"WHERE {' AND '.join(where)} ORDER BY tenant_id, conversation_id",
            params,
        )
        keys: list[Key] = [(r["tenant_id"], r["conversation_id"]) for r in rows]
        for start in range(0, len(keys), self.chunk):
            yield keys[start : start + self.chunk]

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        db.execute(
            f"INSERT INTO {TABLE} SELECT *, toUnixTimestamp64Micro(now64(6)) FROM ({_RECOMPUTED})",
            _params(keys),
        )
        return len(keys)

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        params = _params(keys)
        stored = {
            (r["tenant_id"], r["conversation_id"]): r
            for r in db.query(f"SELECT * FROM {TABLE} FINAL WHERE {_KEYS}", params)
        }
        found = []
        for row in db.query(_RECOMPUTED, params):
            key = (row["tenant_id"], row["conversation_id"])
            for column in COLUMNS:
                have = stored[key][column] if key in stored else None
                if have != row[column]:
                    found.append(Difference(TABLE, key, column, have, row[column]))
        return found
