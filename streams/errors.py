"""The streams family's errors: infrastructure failures that must stop the worker loudly."""

from __future__ import annotations

from pulse.errors import PulseError


class StreamError(PulseError):
    """Root of the errors the stream worker raises on purpose."""

    code = "stream_error"


class HandoffError(StreamError):
    """Rows or dead letters were not acknowledged by Kafka; the batch must not be committed."""

    code = "handoff_error"
