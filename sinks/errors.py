"""The sink family's errors: one root, :class:`SinkError`, and small subclasses.

Bad input (a hand-off message or row the sink cannot store) and broken infrastructure (ClickHouse
or Kafka failing) are different families below the root, because the runner dead-letters the
first and stops loudly on the second.
"""

from __future__ import annotations

from typing import Any

from pulse.errors import PulseError


class SinkError(PulseError):
    """Root of every error raised on purpose by ``pulse.sinks``."""

    code = "sink_error"


class BadRowError(SinkError):
    """A row does not fit its table (missing column, wrong type, out of range); ``value`` is the
    row as it came, kept for its dead letter."""

    code = "bad_row"

    def __init__(self, message: str, *, value: Any = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.value = value


class UnknownTableError(BadRowError):
    """A hand-off message names a table the sink does not write."""

    code = "unknown_table"


class BadMessageError(SinkError):
    """A hand-off message is not a JSON array of row objects."""

    code = "bad_message"


class ClickHouseError(SinkError):
    """ClickHouse rejected a statement or cannot be reached; the sink stops on it."""

    code = "clickhouse_error"


class MigrationError(SinkError):
    """The migration set or the recorded schema state is inconsistent."""

    code = "migration_error"


class KafkaError(SinkError):
    """The consumer reported an error the sink cannot continue past."""

    code = "kafka_error"
