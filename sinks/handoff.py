"""Decodes one ``pulse.rows`` message into its table and storable rows; pure, no I/O.

A message whose key or value cannot be read is a :class:`BadMessageError` (or
:class:`UnknownTableError`); a readable message keeps its good rows and reports each bad one, so
one malformed row does not cost its neighbours.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pulse.sinks.errors import BadMessageError, BadRowError, UnknownTableError
from pulse.sinks.tables import HANDOFF_TABLES
from pulse.sinks.writer import Row, prepare_row


@dataclass
class Decoded:
    table: str
    rows: list[Row] = field(default_factory=list)
    bad_rows: list[BadRowError] = field(default_factory=list)


def decode(key: bytes | None, value: bytes | None) -> Decoded:
    """The table named by ``key`` and the rows of the JSON array ``value``."""
    try:
        table = (key or b"").decode()
    except UnicodeDecodeError:
        raise BadMessageError("the message key is not UTF-8") from None
    if table not in HANDOFF_TABLES:
        raise UnknownTableError(f"no table {table!r} to write", table=table[:100])
    try:
        payload = json.loads(value or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadMessageError(f"the value is not JSON: {exc}", table=table) from None
    if not isinstance(payload, list):
        raise BadMessageError("the value is not a JSON array", table=table)
    decoded = Decoded(table)
    columns = HANDOFF_TABLES[table]
    for index, row in enumerate(payload):
        try:
            decoded.rows.append(prepare_row(table, columns, row, index))
        except BadRowError as exc:
            decoded.bad_rows.append(exc)
    return decoded
