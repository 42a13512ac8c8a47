"""Dead letters: a rejected message goes to its topic's ``.dlq`` twin with the reason in headers.

The original bytes and key are kept so it can be inspected and replayed; a ``dead_letters`` row
is handed off with it, and each one is logged and counted. ``failed_at`` is the source message's
broker timestamp, so a replayed batch yields the same row.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass
from typing import Any

import structlog

from pulse.metrics import DEAD_LETTERS
from pulse.streams.handoff import Headers, RowsHandoff
from pulse.streams.source import SourceRecord

log = structlog.get_logger(__name__)

TOO_LATE = "too_late"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    source: SourceRecord
    key: bytes | None
    value: bytes
    code: str
    field: str
    reason: str
    tenant_id: str = ""

    @property
    def topic(self) -> str:
        return f"{self.source.topic}.dlq"

    def headers(self) -> Headers:
        return [
            ("pulse.error.code", self.code.encode()),
            ("pulse.error.field", self.field.encode()),
            ("pulse.error.reason", self.reason.encode()),
            ("pulse.source.topic", self.source.topic.encode()),
            ("pulse.source.partition", str(self.source.partition).encode()),
            ("pulse.source.offset", str(self.source.offset).encode()),
        ]

    def row(self) -> dict[str, Any]:
        return {
            "source_topic": self.source.topic,
            "source_partition": self.source.partition,
            "source_offset": self.source.offset,
            "tenant_id": self.tenant_id,
            "code": self.code,
            "field": self.field,
            "reason": self.reason,
            "payload_b64": base64.b64encode(self.value).decode(),
            "failed_at": self.source.timestamp_ms,
        }


def send_dead_letters(handoff: RowsHandoff, letters: list[DeadLetter]) -> None:
    """Queues each letter to its DLQ topic and their rows to the hand-off (the caller flushes)."""
    if not letters:
        return
    for letter in letters:
        handoff.send_raw(letter.topic, letter.key, letter.value, letter.headers())
        log.warning(
            "dead_letter",
            topic=letter.source.topic,
            partition=letter.source.partition,
            offset=letter.source.offset,
            tenant_id=letter.tenant_id,
            code=letter.code,
            field=letter.field,
            reason=letter.reason,
        )
    handoff.send_rows("dead_letters", [letter.row() for letter in letters])
    for (topic, code), count in Counter((x.source.topic, x.code) for x in letters).items():
        DEAD_LETTERS.labels(topic, code).inc(count)
