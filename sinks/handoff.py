"""Decodes one ``pulse.rows`` message into a block of storable rows; pure, no I/O.

A message whose key or value cannot be read is a :class:`BadMessageError` (or
:class:`UnknownTableError`); a readable message keeps its good rows and reports each bad one in
the block's ``bad_rows``, so one malformed row does not cost its neighbours.
"""

from __future__ import annotations

import orjson

from pulse.sinks.errors import BadMessageError, UnknownTableError
from pulse.sinks.tables import HANDOFF_TABLES
from pulse.sinks.writer import Block, prepare


def decode(key: bytes | None, value: bytes | None) -> Block:
    """The rows of the JSON array ``value`` for the table named by ``key``."""
    try:
        table = (key or b"").decode()
    except UnicodeDecodeError:
        raise BadMessageError("the message key is not UTF-8") from None
    if table not in HANDOFF_TABLES:
        raise UnknownTableError(f"no table {table!r} to write", table=table[:100])
    try:
        payload = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise BadMessageError(f"the value is not JSON: {exc}", table=table) from None
    if not isinstance(payload, list):
        raise BadMessageError("the value is not a JSON array", table=table)
    return prepare(table, payload)
