"""The one small ClickHouse interface the sink and the API use, and how to pick an implementation.

``chdb:///abs/path`` opens the embedded engine (one process per data directory); anything
``clickhouse://user:pass@host:9000/db`` talks to a server over the native protocol. Both take the
same SQL and bind user values server-side through ``{name:Type}`` placeholders, so a tenant id or a
time range from a request never becomes SQL text.

Values crossing :meth:`ClickHouse.insert` (and its columnar twin): ``DateTime64(3)`` columns
take int milliseconds since the epoch (UTC) or aware datetimes, ``Map`` columns take dicts,
``Array`` columns lists, nullable columns ``None``. :meth:`ClickHouse.query` returns aware
datetimes, dicts for maps, lists for arrays.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pyarrow as pa

from pulse.settings import ClickHouseSettings
from pulse.sinks.errors import ClickHouseError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ClickHouse(Protocol):
    """Statements, parameterised reads and column inserts against one database."""

    database: str
    # Whether other processes' statements may run beside this client's (a server), or each
    # statement runs alone (the embedded engine: one process, one statement at a time).
    shared: bool

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement that returns no rows (DDL, ``INSERT … SELECT``); ``params`` fill
        ``{name:Type}`` placeholders. The rows it wrote (0 for DDL), as the server reports them:
        a derivation's refresh counts what it wrote without reading it back."""
        ...

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a ``SELECT`` as dicts; ``params`` fill ``{name:Type}`` placeholders."""
        ...

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """The result of a ``SELECT`` as an Arrow table: columns of many values (arrays of a
        question's percentile values) reach numpy without a Python object per value."""
        ...

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
        """Insert ``rows`` (mappings holding at least ``columns``) into ``table`` as one block."""

    def insert_columns(self, table: str, data: Mapping[str, Sequence[Any]]) -> None:
        """Insert one block given column by column (equal lengths): the sink's fast path."""

    def close(self) -> None:
        """Release the engine or the connection; the object is unusable afterwards."""


def identifier(name: str) -> str:
    """``name`` if it is a plain SQL identifier, else :class:`ClickHouseError`.

    Database and table names come from settings and code, never from users, but they are spliced
    into SQL text, so they are held to the identifier grammar.
    """
    if not _IDENTIFIER.fullmatch(name):
        raise ClickHouseError(f"{name!r} is not a plain SQL identifier", name=name)
    return name


def qualified(database: str, table: str) -> str:
    """``database.table`` for a bare ``table``; a qualified name is checked part by part."""
    parts = table.split(".")
    if len(parts) == 1:
        return f"{identifier(database)}.{identifier(table)}"
    if len(parts) == 2:
        return f"{identifier(parts[0])}.{identifier(parts[1])}"
    raise ClickHouseError(f"{table!r} is not a table name", table=table)


def columns_of(
    table: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
) -> dict[str, list[Any]]:
    """Rows turned into the column-wise form both clients insert."""
    try:
        return {c: [row[c] for row in rows] for c in columns}
    except KeyError as exc:
        raise ClickHouseError(f"a row for {table} lacks column {exc}", table=table) from exc


def connect(settings: ClickHouseSettings) -> ClickHouse:
    """The implementation chosen by the URL scheme of ``settings.url``."""
    url = settings.url
    if url.startswith("chdb://"):
        from pulse.sinks.chdb_client import EmbeddedClickHouse

        return EmbeddedClickHouse(url.removeprefix("chdb://"), settings.database)
    if url.startswith("clickhouse://"):
        from pulse.sinks.server_client import ServerClickHouse

        return ServerClickHouse(url, settings.database)
    raise ClickHouseError(
        "PULSE_CLICKHOUSE_URL must start with chdb:// or clickhouse://", url=url.split("@")[-1]
    )


def __getattr__(name: str) -> Any:
    # The implementations live in their own modules and import their engines lazily, so
    # importing this interface does not load chdb's 500 MB engine or the native driver.
    if name == "EmbeddedClickHouse":
        from pulse.sinks.chdb_client import EmbeddedClickHouse

        return EmbeddedClickHouse
    if name == "ServerClickHouse":
        from pulse.sinks.server_client import ServerClickHouse

        return ServerClickHouse
    raise AttributeError(name)
