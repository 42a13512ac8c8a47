"""Dead letters: a rejected message goes to its topic's ``.dlq`` twin with the reason in headers.

The original key and bytes are kept so it can be inspected and replayed, as long as they fit a
dead-letter message; a bigger one keeps a prefix (header ``pulse.payload.truncated``) with its
full length and SHA-256, so a huge input can never make a letter the broker refuses (which would
stop the worker on the same message after every restart). A ``dead_letters`` row, with a shorter
prefix, is handed off with it, and each one is logged and counted. ``failed_at`` is the source
message's broker timestamp, so a replayed batch yields the same row.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

import structlog

from pulse.metrics import DEAD_LETTERS
from pulse.streams import dlq_letters as h
from pulse.streams.handoff import Headers, RowsHandoff
from pulse.streams.source import SourceRecord

log = structlog.get_logger(__name__)

TOO_LARGE = "too_large"

# A dead-letter topic takes the broker's default 1 MiB messages: the value, key and headers of a
# letter stay well below it.
VALUE_MAX_BYTES = 900_000
KEY_MAX_BYTES = 16 * 1024
# Enough of a payload to see what was wrong; the topic keeps the rest for a replay.
ROW_PAYLOAD_MAX_BYTES = 64 * 1024
# Reasons quote the offending value, which may be a megabyte of text.
TEXT_MAX_CHARS = 1024


def clip(text: str, limit: int = TEXT_MAX_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    source: SourceRecord
    key: bytes | None
    value: bytes
    code: str
    field: str
    reason: str
    tenant_id: str = ""
    # Which row of a hand-off message the sink refused (0 for a whole message or an event).
    source_row: int = 0
    # The whole payload's hash, computed once: the headers and the row both carry it.
    sha256: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.value).hexdigest())

    @property
    def topic(self) -> str:
        return f"{self.source.topic}.dlq"

    @property
    def truncated(self) -> bool:
        return len(self.value) > VALUE_MAX_BYTES or len(self.key or b"") > KEY_MAX_BYTES

    def stored_key(self) -> bytes | None:
        return self.key[:KEY_MAX_BYTES] if self.key is not None else None

    def stored_value(self) -> bytes:
        return self.value[:VALUE_MAX_BYTES]

    def headers(self) -> Headers:
        return [
            (h.CODE, self.code.encode()),
            (h.FIELD, clip(self.field).encode()),
            (h.REASON, clip(self.reason).encode()),
            (h.SOURCE_TOPIC, self.source.topic.encode()),
            (h.SOURCE_PARTITION, str(self.source.partition).encode()),
            (h.SOURCE_OFFSET, str(self.source.offset).encode()),
            (h.SOURCE_ROW, str(self.source_row).encode()),
            (h.TENANT_ID, clip(self.tenant_id).encode()),
            (h.FAILED_AT, str(self.source.timestamp_ms).encode()),
            (h.PAYLOAD_BYTES, str(len(self.value)).encode()),
            (h.PAYLOAD_SHA256, self.sha256.encode()),
            (h.PAYLOAD_TRUNCATED, b"true" if self.truncated else b"false"),
        ]

    def row(self) -> dict[str, Any]:
        return {
            "source_topic": self.source.topic,
            "source_partition": self.source.partition,
            "source_offset": self.source.offset,
            "source_row": self.source_row,
            "tenant_id": clip(self.tenant_id),
            "code": self.code,
            "field": clip(self.field),
            "reason": clip(self.reason),
            "payload_b64": base64.b64encode(self.value[:ROW_PAYLOAD_MAX_BYTES]).decode(),
            "payload_bytes": len(self.value),
            "payload_sha256": self.sha256,
            "failed_at": self.source.timestamp_ms,
        }


def send_dead_letters(handoff: RowsHandoff, letters: list[DeadLetter]) -> None:
    """Queues each letter to its DLQ topic and their rows to the hand-off (the caller flushes)."""
    if not letters:
        return
    for letter in letters:
        handoff.send_raw(letter.topic, letter.stored_key(), letter.stored_value(), letter.headers())
        log.warning(
            "dead_letter",
            topic=letter.source.topic,
            partition=letter.source.partition,
            offset=letter.source.offset,
            tenant_id=letter.tenant_id,
            code=letter.code,
            field=clip(letter.field),
            reason=clip(letter.reason),
        )
    handoff.send_rows("dead_letters", [letter.row() for letter in letters])
    for (topic, code), count in Counter((x.source.topic, x.code) for x in letters).items():
        DEAD_LETTERS.labels(topic, code).inc(count)
