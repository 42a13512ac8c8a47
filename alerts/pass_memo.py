"""One evaluation pass's reads, each statement asked of ClickHouse once.

The readers group their counts by the filter columns (``readings/counts.py``), so every rule of a
tenant over the same window sends the same statement: twenty rules of one tenant cost one read,
not twenty, which is most of a pass's time when events wake the evaluator. A memo lives for one
pass only: the next sees what was stored meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from pulse.sinks.clickhouse import ClickHouse


def _key(sql: str, params: Mapping[str, Any] | None) -> tuple[Any, ...]:
    items = sorted((params or {}).items())
    return (sql, tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in items))


class PassMemo:
    """A read-only :class:`ClickHouse` over ``db`` that answers a repeated query from memory."""

    def __init__(self, db: ClickHouse) -> None:
        self._db = db
        self.database = db.database
        self.shared = db.shared
        self._answers: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._tables: dict[tuple[Any, ...], pa.Table] = {}
        self.reads = 0

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        key = _key(sql, params)
        if key not in self._answers:
            self.reads += 1
            self._answers[key] = self._db.query(sql, params)
        return self._answers[key]

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        key = _key(sql, params)
        if key not in self._tables:
            self.reads += 1
            self._tables[key] = self._db.query_arrow(sql, params)
        return self._tables[key]

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        raise NotImplementedError("a pass memo only reads")

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
        raise NotImplementedError("a pass memo only reads")

    def insert_columns(self, table: str, data: Mapping[str, Sequence[Any]]) -> None:
        raise NotImplementedError("a pass memo only reads")

    def close(self) -> None:
        self._answers.clear()
        self._tables.clear()
