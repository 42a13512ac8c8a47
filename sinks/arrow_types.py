"""ClickHouse column types as Arrow types, so embedded inserts can ship typed Arrow batches.

Only the types our migrations use are mapped; anything else is a :class:`ClickHouseError`, which
surfaces the day a migration adds a type before this module learns it.
"""

from __future__ import annotations

import re

import pyarrow as pa

from pulse.sinks.errors import ClickHouseError

_SCALARS: dict[str, pa.DataType] = {
    "String": pa.string(),
    "Bool": pa.bool_(),
    "UInt8": pa.uint8(),
    "UInt16": pa.uint16(),
    "UInt32": pa.uint32(),
    "UInt64": pa.uint64(),
    "Int8": pa.int8(),
    "Int16": pa.int16(),
    "Int32": pa.int32(),
    "Int64": pa.int64(),
    "Float32": pa.float32(),
    "Float64": pa.float64(),
    "Date": pa.date32(),
}
_DATETIME64 = re.compile(r"DateTime64\((\d)(?:,\s*'([^']+)')?\)")
_UNITS = {0: "s", 3: "ms", 6: "us", 9: "ns"}


def arrow_type(clickhouse_type: str) -> pa.DataType:
    """The Arrow type that ClickHouse reads into a column of ``clickhouse_type``."""
    t = clickhouse_type.strip()
    if t in _SCALARS:
        return _SCALARS[t]
    for wrapper in ("LowCardinality", "Nullable"):
        if t.startswith(wrapper + "(") and t.endswith(")"):
            return arrow_type(t[len(wrapper) + 1 : -1])
    if t.startswith("Array(") and t.endswith(")"):
        return pa.list_(arrow_type(t[len("Array(") : -1]))
    if t.startswith("Map(") and t.endswith(")"):
        key, value = _split_pair(t[len("Map(") : -1])
        return pa.map_(arrow_type(key), arrow_type(value))
    match = _DATETIME64.fullmatch(t)
    if match and int(match.group(1)) in _UNITS:
        return pa.timestamp(_UNITS[int(match.group(1))], tz=match.group(2) or "UTC")
    raise ClickHouseError(f"no Arrow mapping for ClickHouse type {t}", type=t)


def _split_pair(inner: str) -> tuple[str, str]:
    depth = 0
    for i, char in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            return inner[:i], inner[i + 1 :]
    raise ClickHouseError(f"cannot split Map arguments {inner}", type=inner)
