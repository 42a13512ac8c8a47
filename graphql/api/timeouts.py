"""ClickHouse's time limit on every API read, and its refusal as the API's ``timeout`` error.

Each statement gets ``max_execution_time`` in a ``SETTINGS`` clause of its own text (joined to
one the statement already ends with), which chdb and a server both honour: ClickHouse stops the
query itself, so a slow read frees its thread and the engine, which an abandoned await would
not. The operation's own deadline (``limits.py``) bounds a request of several reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from pulse.graphql.errors import QueryTimeoutError
from pulse.graphql.queries import Reader
from pulse.sinks.errors import ClickHouseError

# A SETTINGS clause ending the statement, outside any parentheses.
_TRAILING_SETTINGS = re.compile(r"\bSETTINGS\b[^()]*$", re.IGNORECASE)
# ClickHouse's TIMEOUT_EXCEEDED, as chdb and the native driver word it.
_TIMED_OUT = ("TIMEOUT_EXCEEDED", "Code: 159.")


def with_time_limit(sql: str, seconds: float) -> str:
    """``sql`` with ``max_execution_time`` set to ``seconds`` in its trailing SETTINGS."""
    statement = sql.rstrip().rstrip(";").rstrip()
    setting = f"max_execution_time = {seconds:g}"
    if _TRAILING_SETTINGS.search(statement):
        return f"{statement}, {setting}"
    return f"{statement}\nSETTINGS {setting}"


class TimedReader:
    """``reader`` with ClickHouse's time limit on every read; running out is QueryTimeoutError."""

    def __init__(self, reader: Reader, seconds: float) -> None:
        self._reader = reader
        self._seconds = seconds

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            return self._reader.query(with_time_limit(sql, self._seconds), params)
        except ClickHouseError as exc:
            self._raise_if_timed_out(exc)
            raise

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        try:
            return self._reader.query_arrow(with_time_limit(sql, self._seconds), params)
        except ClickHouseError as exc:
            self._raise_if_timed_out(exc)
            raise

    def _raise_if_timed_out(self, exc: ClickHouseError) -> None:
        if any(marker in exc.message for marker in _TIMED_OUT):
            raise QueryTimeoutError(
                f"A ClickHouse read ran out of its {self._seconds:g} s.",
                suggestion="Ask for a shorter range, a coarser granularity or fewer rows.",
                limit_seconds=self._seconds,
                setting="PULSE_API_CLICKHOUSE_TIMEOUT_SECONDS",
            ) from exc
