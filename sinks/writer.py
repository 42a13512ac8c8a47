"""Turns contract rows (docs/ARCHITECTURE.md "Row contract") into ClickHouse column values.

:func:`prepare` is pure: it checks every value against its column and fills defaults, so a bad row
is found while its hand-off message is still known, not in the middle of a batch insert.
:class:`RowsWriter` prepares and inserts. Date-times stay int milliseconds: both ClickHouse
clients take them as ``DateTime64(3)`` ticks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.errors import BadRowError, UnknownTableError
from pulse.sinks.tables import MS_MAX, MS_MIN, TABLES, Column

Row = dict[str, Any]


def columns(table: str) -> tuple[Column, ...]:
    """The columns of a table the sink writes; :class:`UnknownTableError` for any other name."""
    try:
        return TABLES[table]
    except KeyError:
        raise UnknownTableError(f"no table {table!r} to write", table=table) from None


def prepare(table: str, rows: Sequence[Any]) -> list[Row]:
    """Rows with exactly the table's columns, checked and defaulted; :class:`BadRowError` if not."""
    cols = columns(table)
    return [prepare_row(table, cols, row, index) for index, row in enumerate(rows)]


def prepare_row(table: str, cols: Sequence[Column], row: Any, index: int = 0) -> Row:
    """One contract row as column values (extra keys are ignored, as the contract allows)."""
    if not isinstance(row, Mapping):
        raise BadRowError(f"row {index} of {table} is not an object", table=table, row=index)
    out: Row = {}
    for column in cols:
        value = row.get(column.name)
        if value is None and not column.kind.startswith("nullable_"):
            if column.required:
                raise BadRowError(
                    f"row {index} of {table} lacks {column.name}",
                    table=table,
                    row=index,
                    column=column.name,
                )
            value = column.default
        if not _fits(column, value):
            raise BadRowError(
                f"row {index} of {table}: {column.name}={value!r:.80} is not a {column.kind}",
                table=table,
                row=index,
                column=column.name,
            )
        out[column.name] = value
    return out


def _fits(column: Column, value: Any) -> bool:
    kind = column.kind
    if kind.startswith("nullable_") and value is None:
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "map":
        return _is_str_map(value)
    if kind == "array":
        return _is_str_list(value)
    if kind == "nullable_bool":
        return isinstance(value, bool)
    # bool is an int subclass, but the contract never spells a number as true/false.
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    if kind == "ms":
        return MS_MIN <= value <= MS_MAX
    if kind in ("uint", "nullable_uint"):
        return 0 <= value < 1 << column.bits
    return -(1 << (column.bits - 1)) <= value < 1 << (column.bits - 1)


def _is_str_map(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


class RowsWriter:
    """Inserts contract rows into their table, one block per call."""

    def __init__(self, client: ClickHouse) -> None:
        self.client = client

    def write(self, table: str, rows: Sequence[Any]) -> int:
        """Prepare and insert ``rows``; the number written."""
        return self.write_prepared(table, prepare(table, rows))

    def write_prepared(self, table: str, rows: Sequence[Row]) -> int:
        """Insert rows already returned by :func:`prepare` for ``table``."""
        names = [c.name for c in columns(table)]
        self.client.insert(table, rows, names)
        return len(rows)
