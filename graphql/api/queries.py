"""What the API needs of ClickHouse: parameter-bound reads.

Every family's query module reads through this interface, with every caller-supplied value bound
as a ``{name:Type}`` parameter. Instants cross the boundary as integer milliseconds since the
epoch, whatever the column's exact DateTime type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pyarrow as pa


class Reader(Protocol):
    """The part of ``pulse.sinks.clickhouse.ClickHouse`` the API uses: parameter-bound reads."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """The result as an Arrow table (an empty one without columns when no row came)."""
        ...
