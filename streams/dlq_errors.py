"""Errors of the dead-letter tools (``pulse dlq``): a user's bad input or a refused replay."""

from __future__ import annotations

from pulse.streams.errors import StreamError


class DeadLetterToolError(StreamError):
    """Root of the errors ``pulse dlq`` raises on purpose."""

    code = "dlq_error"


class BadLetterIdError(DeadLetterToolError):
    """A letter id is not ``<dlq topic>:<partition>:<offset>``, or nothing is stored there."""

    code = "bad_letter_id"


class UnknownTopicError(DeadLetterToolError):
    """A ``--topic`` names no declared domain topic nor its dead-letter twin."""

    code = "unknown_topic"


class BadTimeError(DeadLetterToolError):
    """A ``--since``/``--until`` value is not an ISO-8601 date or date-time."""

    code = "bad_time"


class ReplayError(DeadLetterToolError):
    """Kafka did not acknowledge some replayed messages."""

    code = "replay_failed"
