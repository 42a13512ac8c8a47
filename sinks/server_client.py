"""A ClickHouse server over the native protocol (clickhouse-driver).

Parameters are sent server-side (``server_side_params``), the same ``{name:Type}`` placeholders
chdb takes, so one SQL text serves both engines. The driver is not thread-safe: a lock serialises
callers sharing one instance.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
from clickhouse_driver import Client
from clickhouse_driver.errors import Error as DriverError

from pulse.sinks.clickhouse import columns_of, identifier, qualified
from pulse.sinks.errors import ClickHouseError

# Socket-level failures surface as OSError/EOFError from the driver, not as its own errors.
_FAILURES = (DriverError, OSError, EOFError)


class ServerClickHouse:
    """The :class:`~pulse.sinks.clickhouse.ClickHouse` interface over ``clickhouse://`` URLs.

    ``database`` (from settings) wins over the URL's path; it is created if missing.
    """

    def __init__(self, url: str, database: str | None = None) -> None:
        parts = urlsplit(url)
        self.database = identifier(database or parts.path.strip("/") or "default")
        self.shared = True
        self._address = f"{parts.hostname}:{parts.port or 9000}"
        self._lock = threading.Lock()
        options: dict[str, Any] = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 9000,
            "user": unquote(parts.username or "default"),
            "password": unquote(parts.password or ""),
            "settings": {"server_side_params": True},
        }
        bootstrap = Client(**options)
        try:
            bootstrap.execute(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        except _FAILURES as exc:
            raise ClickHouseError(
                f"cannot reach ClickHouse at {self._address}: {exc}", address=self._address
            ) from exc
        finally:
            bootstrap.disconnect()
        self._client = Client(database=self.database, **options)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        with self._lock:
            self._call(sql, dict(params) if params else None)
            progress = self._client.last_query.progress if self._client.last_query else None
            return int(progress.written_rows) if progress is not None else 0

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            rows, columns = self._call(sql, dict(params or {}), with_column_types=True)
        names = [name for name, _ in columns]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        with self._lock:
            data, columns = self._call(
                sql, dict(params or {}), with_column_types=True, columnar=True
            )
        if not data:
            return pa.table({})
        return pa.table(
            {name: list(values) for (name, _), values in zip(columns, data, strict=True)}
        )

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
        self.insert_columns(table, columns_of(table, rows, columns))

    def insert_columns(self, table: str, data: Mapping[str, Sequence[Any]]) -> None:
        name = qualified(self.database, table)
        cols = [identifier(c) for c in data]
        if not cols or not data[cols[0]]:
            return
        with self._lock:
            self._call(
                f"INSERT INTO {name} ({', '.join(cols)}) VALUES",
                [list(data[c]) for c in cols],
                columnar=True,
            )

    def close(self) -> None:
        with self._lock:
            self._client.disconnect()

    def _call(
        self, sql: str, params: Any = None, with_column_types: bool = False, columnar: bool = False
    ) -> Any:
        try:
            return self._client.execute(
                sql, params, with_column_types=with_column_types, columnar=columnar
            )
        except _FAILURES as exc:
            raise ClickHouseError(
                f"ClickHouse at {self._address} failed: {exc}", sql=sql[:500]
            ) from exc
