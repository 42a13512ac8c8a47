"""CSV and Parquet of drill-down rows, written page by page as bytes to stream.

Each page becomes its chunk of output as soon as it is read (CSV lines; one Parquet row group),
so an export holds one page in memory whatever its length. Columns are the row source's, with
instants as epoch milliseconds (``*_ms``), as the Parquet types below say.
"""

from __future__ import annotations

import csv
import io
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


def arrow_schema(columns: tuple[str, ...]) -> pa.Schema:
    """Every column nullable: int64, bool or string by name."""
    return pa.schema(
        [
            (
                c,
                pa.int64() if c in _INTEGERS else pa.bool_() if c in _BOOLEANS else pa.string(),
            )
            for c in columns
        ]
    )


def csv_chunks(columns: tuple[str, ...], pages: Iterable[list[dict[str, Any]]]) -> Iterator[bytes]:
    """A header line, then each page's lines (an absent value: an empty field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    yield _drain_text(buffer)
    for rows in pages:
        writer.writerows(["" if r[c] is None else r[c] for c in columns] for r in rows)
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


def parquet_chunks(
    columns: tuple[str, ...], pages: Iterable[list[dict[str, Any]]]
) -> Iterator[bytes]:
    """One row group per page, its bytes yielded as soon as it is written; then the footer."""
    schema = arrow_schema(columns)
    sink = _Chunks()
    writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema)
    try:
        for rows in pages:
            if rows:
                columns_of = {c: [r[c] for r in rows] for c in columns}
                writer.write_table(pa.Table.from_pydict(columns_of, schema=schema))
                yield sink.take()
    finally:
        writer.close()
    yield sink.take()


def _drain_text(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()
