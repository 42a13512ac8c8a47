"""Compiled readers: one generated Python function per writer schema that reads an Avro body.

fastavro's reader interprets the schema for every value it reads; measured here, an optional
field costs ~0.3 µs even when it is null, so a twenty-field event costs ~7 µs, a third of the
worker's time. Our schemas use a few types only (null, boolean, int, long, string, enum, maps
and arrays of strings, unions of those), and for a record made of them :func:`compile_reader`
writes straight-line code once, which reads the same event in about a third of the time.

fastavro stays the reference and the fallback: ``tests/avro/test_compiled_reader.py`` checks
that both read every schema's events alike and that a compiled reader accepts no bytes that
fastavro would read differently; any other schema (nested records, bytes, floats, a named type
used by reference) gets None here and is read by fastavro.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from typing import Any, cast

# (record, position after it) from (bytes, position of the body).
Reader = Callable[[bytes, int], tuple[dict[str, Any], int]]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_UNION_BRANCHES = 64  # so that every branch index is one varint byte


class MalformedBodyError(ValueError):
    """Bytes that are not a body of the schema."""


class _UnsupportedError(Exception):
    """A schema feature the compiler leaves to fastavro."""


def _long(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint (Avro int or long) at ``pos``, and the position after it."""
    b = data[pos]
    pos += 1
    n = b & 0x7F
    shift = 7
    while b & 0x80:
        if shift > 63:
            raise MalformedBodyError("a varint longer than ten bytes")
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
    return (n >> 1) ^ -(n & 1), pos


def _string(data: bytes, pos: int, size: int) -> tuple[str, int]:
    n, pos = _long(data, pos)
    end = pos + n
    if n < 0 or end > size:
        raise MalformedBodyError("a string runs past the body")
    return data[pos:end].decode(), end


def _block_count(data: bytes, pos: int, size: int) -> tuple[int, int]:
    count, pos = _long(data, pos)
    if count < 0:
        # A negative count is followed by the block's size in bytes, which we do not need.
        count = -count
        _, pos = _long(data, pos)
    if count > size - pos:
        raise MalformedBodyError("a block holds more items than the body has bytes")
    return count, pos


def _string_map(data: bytes, pos: int, size: int) -> tuple[dict[str, str], int]:
    out: dict[str, str] = {}
    count, pos = _block_count(data, pos, size)
    while count:
        for _ in range(count):
            key, pos = _string(data, pos, size)
            out[key], pos = _string(data, pos, size)
        count, pos = _block_count(data, pos, size)
    return out, pos


def _string_array(data: bytes, pos: int, size: int) -> tuple[list[str], int]:
    out: list[str] = []
    count, pos = _block_count(data, pos, size)
    while count:
        for _ in range(count):
            item, pos = _string(data, pos, size)
            out.append(item)
        count, pos = _block_count(data, pos, size)
    return out, pos


# A varint read inline when it is one byte (nearly always), through _long otherwise.
_VARINT = """\
b = data[pos]
if b < 128:
    {target} = (b >> 1) ^ -(b & 1)
    pos += 1
else:
    {target}, pos = _long(data, pos)"""


class _Compiler:
    def __init__(self) -> None:
        self.constants: dict[str, Any] = {}

    def record(
        self, fields: Sequence[Any], fill: Sequence[tuple[str, Any]], drop: Collection[str]
    ) -> str:
        lines = ["def read(data, pos):", "    size = len(data)"]
        items = []
        for index, field in enumerate(fields):
            name = field.get("name") if isinstance(field, dict) else None
            if not isinstance(name, str) or _NAME.fullmatch(name) is None:
                raise _UnsupportedError(f"field name {name!r}")
            lines += _indent(self.value(field["type"], f"v{index}"), 1)
            if name not in drop:
                items.append(f"{name!r}: v{index}")
        for name, default in fill:
            constant = self.constant(default)
            # A container default is copied, so that no two records share it.
            items.append(
                f"{name!r}: {constant}.copy()"
                if isinstance(default, list | dict)
                else f"{name!r}: {constant}"
            )
        lines.append(f"    return {{{', '.join(items)}}}, pos")
        return "\n".join(lines)

    def constant(self, value: Any) -> str:
        name = f"CONSTANT{len(self.constants)}"
        self.constants[name] = value
        return name

    def value(self, avro_type: Any, target: str) -> list[str]:
        if isinstance(avro_type, list):
            return self.union(avro_type, target)
        kind = avro_type.get("type") if isinstance(avro_type, dict) else avro_type
        if kind == "null":
            return [f"{target} = None"]
        if kind == "boolean":
            return [
                "b = data[pos]",
                "pos += 1",
                "if b > 1:",
                "    raise MalformedBodyError('a boolean byte other than 0 or 1')",
                f"{target} = b == 1",
            ]
        if kind in ("int", "long"):
            return _VARINT.format(target=target).splitlines()
        if kind == "string":
            return [
                *_VARINT.format(target="n").splitlines(),
                "end = pos + n",
                "if n < 0 or end > size:",
                "    raise MalformedBodyError('a string runs past the body')",
                f"{target} = data[pos:end].decode()",
                "pos = end",
            ]
        if kind == "enum":
            symbols = avro_type.get("symbols")
            if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
                raise _UnsupportedError("enum symbols")
            constant = self.constant(tuple(symbols))
            return [
                *_VARINT.format(target="i").splitlines(),
                f"if not 0 <= i < {len(symbols)}:",
                "    raise MalformedBodyError('an enum index out of range')",
                f"{target} = {constant}[i]",
            ]
        if kind in ("map", "array") and isinstance(avro_type, dict):
            inner = avro_type.get("values" if kind == "map" else "items")
            if inner != "string":
                raise _UnsupportedError(f"{kind} of {inner!r}")
            empty, reader = ("{}", "_string_map") if kind == "map" else ("[]", "_string_array")
            return [
                "if data[pos] == 0:",
                f"    {target} = {empty}",
                "    pos += 1",
                "else:",
                f"    {target}, pos = {reader}(data, pos, size)",
            ]
        raise _UnsupportedError(f"type {kind!r}")

    def union(self, branches: list[Any], target: str) -> list[str]:
        if not branches or len(branches) > _MAX_UNION_BRANCHES:
            raise _UnsupportedError("union size")
        lines = ["b = data[pos]", "pos += 1"]
        for index, branch in enumerate(branches):
            keyword = "if" if index == 0 else "elif"
            lines.append(f"{keyword} b == {2 * index}:")
            lines += _indent(self.value(branch, target), 1)
        lines += ["else:", "    raise MalformedBodyError('a union index out of range')"]
        return lines


def _indent(lines: list[str], levels: int) -> list[str]:
    pad = "    " * levels
    return [pad + line for line in lines]


def compile_reader(
    schema: Any, fill: Sequence[tuple[str, Any]] = (), drop: Collection[str] = ()
) -> Reader | None:
    """A reader of bodies written with record ``schema`` (logical types are read as their
    underlying types), or None when the schema uses something only fastavro reads.

    The records it returns leave out the fields named in ``drop`` and add each ``(name,
    default)`` of ``fill``: a writer version read into the latest field set of its type.
    """
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return None
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return None
    compiler = _Compiler()
    try:
        source = compiler.record(fields, fill, drop)
    except _UnsupportedError:
        return None
    namespace: dict[str, Any] = {
        "MalformedBodyError": MalformedBodyError,
        "_long": _long,
        "_string_map": _string_map,
        "_string_array": _string_array,
        **compiler.constants,
    }
    exec(compile(source, f"<avro reader of {schema.get('name')}>", "exec"), namespace)
    return cast(Reader, namespace["read"])
