"""Query parameters in the text form ClickHouse parses for ``{name:Type}`` placeholders.

User values never become SQL text: they travel beside the query and the server parses each one as
a value of its declared type. chdb takes the values as strings in ClickHouse's *Escaped* (TSV)
format, so a string's backslashes and control characters must be escaped, or ``a\\nb`` would
arrive as a newline. Collections are written as literals (``['a', 'b']``) whose quoted strings carry
the same escapes plus ``\'``; the literal as a whole is not escaped again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

_TSV_ESCAPES = {
    "\\": "\\\\",
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\0": "\\0",
    "\b": "\\b",
    "\f": "\\f",
}
_TSV_TABLE = str.maketrans(_TSV_ESCAPES)
_QUOTED_TABLE = str.maketrans({**_TSV_ESCAPES, "'": "\\'"})


def format_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Every parameter of a query in its Escaped text form."""
    return {name: format_param(value) for name, value in params.items()}


def format_param(value: Any) -> str:
    """One value in the Escaped text form of its ClickHouse type (``\\N`` for NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_TSV_TABLE)
    if isinstance(value, list | tuple):
        return _literal(value)
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"query parameter {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a datetime query parameter must carry a time zone")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"unsupported query parameter type {type(value).__name__}")


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.translate(_QUOTED_TABLE) + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, datetime | date):
        return "'" + _scalar(value) + "'"
    return _scalar(value)
