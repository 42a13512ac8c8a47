"""How the stages see the worker's tables: read by key, write back per source partition.

Faust's ``table[key] = value`` picks the changelog partition from the *current event*, a
context variable that the stream sets per message. So writes name their partition explicitly:
the batch's own source partition, the one partition every record of a batch came from.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol


class PartitionState(Protocol):
    """One table seen through the partition a batch came from."""

    def get(self, key: str, /) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...


class FaustPartitionTable:
    """A Faust table written to one changelog partition (the batch's source partition).

    A write updates the table at once and is sent by :meth:`send`, after the batch: serialized
    with the table's own serializers and handed to Faust's transaction manager, which puts it in
    the open transaction of the partition, where Faust's own changelog path ends too. Faust's
    path first queues each record as a future message in its producer buffer (with its send
    task, 14 % of the worker's time in a profile), and its commit does not drain that buffer,
    so a record could fall into the *next* transaction; the agent awaits what :meth:`send`
    returns before it reports the batch. Faust's on-sent callback, which only a persistent
    store uses, is not called.
    """

    def __init__(self, table: Any, partition: int) -> None:
        self._table = table
        self._partition = partition
        # A value of None is a deletion (a tombstone in the changelog).
        self._pending: list[tuple[str, Any]] = []

    def get(self, key: str, /) -> Any:
        return self._table.data.get(key)

    def put(self, key: str, value: Any) -> None:
        self._table.data[key] = value
        self._pending.append((key, value))

    def delete(self, key: str) -> None:
        """Removes ``key``; :meth:`send` writes its tombstone."""
        self._table.data.pop(key, None)
        self._pending.append((key, None))

    async def send(self) -> list[Awaitable[Any]]:
        """Sends the pending writes; their acknowledgements, to be awaited."""
        table, topic = self._table, self._table.changelog_topic
        name = topic.get_topic_name()
        transactions = table.app.consumer.transactions
        sent: list[Awaitable[Any]] = []
        for key, value in self._pending:
            key_bytes, _ = topic.prepare_key(key, table.key_serializer)
            value_bytes = None
            if value is not None:
                value_bytes, _ = topic.prepare_value(value, table.value_serializer)
            sent.append(
                await transactions.send(name, key_bytes, value_bytes, self._partition, None, None)
            )
        self._pending.clear()
        return sent


def delete(table: Any, partition: int, key: str) -> None:
    """Removes a key from a Faust table and tombstones it in its changelog partition."""
    table.data.pop(key, None)
    table.send_changelog(partition, key, None, value_serializer="raw")
