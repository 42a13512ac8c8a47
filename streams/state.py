"""How the stages see the worker's tables: read by key, write back per source partition.

Faust's ``table[key] = value`` picks the changelog partition from the *current event*, a
context variable that the stream sets per message. So writes name their partition explicitly:
the batch's own source partition, the one partition every record of a batch came from.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

V_co = TypeVar("V_co", covariant=True)


class Lookup(Protocol[V_co]):
    """Read access to a state table (a dict in tests, a Faust table in the worker)."""

    def get(self, key: str, /) -> V_co | None: ...


class PartitionState(Protocol):
    """One table seen through the partition a batch came from."""

    def get(self, key: str, /) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


class FaustPartitionTable:
    """A Faust table written to one changelog partition (the batch's source partition).

    ``sent`` collects the changelog sends: Faust queues them in its own producer buffer, and
    under exactly-once its commit does not drain that buffer first, so a record still queued
    would fall into the *next* transaction. The agent awaits them before acking the batch.
    """

    def __init__(self, table: Any, partition: int) -> None:
        self._table = table
        self._partition = partition
        self.sent: list[Any] = []

    def get(self, key: str, /) -> Any:
        return self._table.data.get(key)

    def put(self, key: str, value: Any) -> None:
        self._table.data[key] = value
        self.sent.append(self._table.send_changelog(self._partition, key, value))


def delete(table: Any, partition: int, key: str) -> None:
    """Removes a key from a Faust table and tombstones it in its changelog partition."""
    table.data.pop(key, None)
    table.send_changelog(partition, key, None, value_serializer="raw")
