"""Where each sink group stands in ``pulse.rows``, kept in ClickHouse beside the rows it covers.

The sink resumes from here, not from Kafka's committed offsets: this record is written right after
the rows, so it can never claim rows ClickHouse does not hold (the Kafka commit comes later and
may be lost in a crash).
"""

from __future__ import annotations

from collections.abc import Mapping

from pulse.sinks.clickhouse import ClickHouse, qualified
from pulse.sinks.writer import RowsWriter


class SinkOffsets:
    """Loads and saves the last stored offset per ``(group, topic, partition)``."""

    def __init__(self, client: ClickHouse) -> None:
        self.client = client
        self._table = qualified(client.database, "sink_offsets")
        self._writer = RowsWriter(client)

    def load(self, group_id: str, topic: str) -> dict[int, int]:
        """The last stored offset of each partition the group has stored anything for."""
        rows = self.client.query(
            f"SELECT partition, max(offset) AS offset FROM {self._table} "
            "WHERE group_id = {group:String} AND topic = {topic:String} GROUP BY partition",
            {"group": group_id, "topic": topic},
        )
        return {int(r["partition"]): int(r["offset"]) for r in rows}

    def save(self, group_id: str, last: Mapping[tuple[str, int], int], now_ms: int) -> None:
        """Record ``last[(topic, partition)]`` as the group's last stored offset."""
        self._writer.write(
            "sink_offsets",
            [
                {
                    "group_id": group_id,
                    "topic": topic,
                    "partition": partition,
                    "offset": offset,
                    "updated_at": now_ms,
                }
                for (topic, partition), offset in sorted(last.items())
            ],
        )
