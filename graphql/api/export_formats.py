"""CSV and Parquet of exported rows, written page by page as bytes to stream.

Each page becomes its chunk of output as soon as it is read (CSV lines; one Parquet row group),
so an export holds one page in memory whatever its length. A drill-down's columns are its row
source's, with instants as epoch milliseconds (``*_ms``), as :func:`arrow_schema` says; an
event's ``attributes`` are a Parquet map and a JSON object in CSV.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}

_INTEGERS = {
    "occurred_at_ms",
    "score",
    "created_at_ms",
    "first_reply_at_ms",
    "frt_ms",
    "deadline_ms",
    "resolution_count",
    "first_resolution_at_ms",
    "resolution_ms",
    "csat_responses",
    "csat_score",
    "started_at_ms",
    "ended_at_ms",
    "length_ms",
    "page_views",
}
_BOOLEANS = {"bounce"}
_MAPS = {"attributes"}


def arrow_schema(columns: tuple[str, ...]) -> pa.Schema:
    """A drill-down's columns, every one nullable: int64, bool, map or string by name."""
    return pa.schema([(c, _arrow_type(c)) for c in columns])


def _arrow_type(column: str) -> pa.DataType:
    if column in _INTEGERS:
        return pa.int64()
    if column in _BOOLEANS:
        return pa.bool_()
    if column in _MAPS:
        return pa.map_(pa.string(), pa.string())
    return pa.string()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


def csv_chunks(columns: tuple[str, ...], pages: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    """A header line, then each page's lines (an absent value: an empty field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    yield _drain_text(buffer)
    for rows in pages:
        writer.writerows([_csv_cell(r[c]) for c in columns] for r in rows)
        yield _drain_text(buffer)


class _Chunks:
    """A write-only file whose written bytes are taken away after each row group."""

    closed = False

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        """Nothing is buffered here."""

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        taken, self._parts = b"".join(self._parts), []
        return taken


def parquet_chunks(schema: pa.Schema, pages: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    """One row group per page, its bytes yielded as soon as it is written; then the footer."""
    sink = _Chunks()
    writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema)
    maps = {f.name for f in schema if pa.types.is_map(f.type)}
    try:
        for rows in pages:
            if rows:
                columns_of = {
                    c: [_entries(r[c]) for r in rows] if c in maps else [r[c] for r in rows]
                    for c in schema.names
                }
                writer.write_table(pa.Table.from_pydict(columns_of, schema=schema))
                yield sink.take()
    finally:
        writer.close()
    yield sink.take()


def _entries(value: dict[str, str] | None) -> list[tuple[str, str]] | None:
    return None if value is None else sorted(value.items())


def _drain_text(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()
