"""The collector's dead letters: every event it refuses in an authenticated request is kept.

A letter is written as the worker writes its own (:mod:`pulse.streams.deadletter`): the event's
JSON (scrubbed: :func:`pulse.collector.verdicts.scrubbed`) goes to the declared topic
``collector.dlq``, key = the API key's id, with the worker's reason headers (source
``<prefix>.collector``, partition and offset -1: the event never was in a topic; row = its index
in the request) plus the key's id and kind. Its ``dead_letters`` row goes to the hand-off topic
once Kafka has placed the letter, with the letter's own topic, partition and offset as source
coordinates: each letter has exactly one row, and a hand-off message the sink reads twice
collapses. ``failed_at`` is the request's instant, also the letter's message timestamp.

Whole-request refusals (no key, bad JSON, too large, rate limited) are answered and never
stored: nothing in them was an event of a known tenant.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from confluent_kafka import Message

from pulse.collector.keys import ApiKey
from pulse.collector.verdicts import Rejected, scrubbed
from pulse.metrics import DEAD_LETTERS
from pulse.streams import dlq_letters as h
from pulse.streams.deadletter import DeadLetter, clip
from pulse.streams.handoff import Headers
from pulse.streams.source import SourceRecord

log = structlog.get_logger(__name__)

SOURCE = "collector"
UNPLACED = -1


class PendingLetter:
    """One refused event's letter, and where Kafka stored it once acknowledged."""

    __slots__ = ("key", "letter", "offset", "partition")

    def __init__(self, letter: DeadLetter, key: ApiKey) -> None:
        self.letter = letter
        self.key = key
        self.partition = UNPLACED
        self.offset = UNPLACED

    @property
    def topic(self) -> str:
        return self.letter.topic

    def headers(self) -> Headers:
        return [
            *self.letter.headers(),
            (h.COLLECTOR_KEY_ID, self.key.key_id.encode()),
            (h.COLLECTOR_KEY_KIND, self.key.kind.encode()),
        ]

    def place(self, message: Message) -> None:
        """Delivery report of the letter's message: its coordinates become the row's."""
        self.partition = int(message.partition() or 0)
        self.offset = int(message.offset() or 0)

    def row(self) -> dict[str, Any]:
        """The ``dead_letters`` row, once :meth:`place` was called."""
        if self.offset == UNPLACED:
            raise ValueError("a letter's row needs the letter's place in Kafka")
        return {
            **self.letter.row(),
            "source_topic": self.letter.topic,
            "source_partition": self.partition,
            "source_offset": self.offset,
        }


class CollectorLetters:
    """Makes the letters of one topic prefix's collector."""

    def __init__(self, topic_prefix: str) -> None:
        self.source_topic = f"{topic_prefix}.{SOURCE}"

    def letter(self, rejected: Rejected, event: Any, key: ApiKey, now_ms: int) -> PendingLetter:
        """``rejected``'s letter; ``event`` is the request's JSON value it judged."""
        # ASCII escapes: a request's strings may hold lone surrogates, which are no UTF-8.
        payload = json.dumps(scrubbed(event)).encode()
        letter = DeadLetter(
            source=SourceRecord(self.source_topic, UNPLACED, UNPLACED, now_ms),
            key=key.key_id.encode(),
            value=payload,
            code=rejected.code,
            field=rejected.field,
            reason=rejected.detail,
            tenant_id=key.tenant_id,
            source_row=rejected.index,
        )
        DEAD_LETTERS.labels(self.source_topic, rejected.code).inc()
        log.warning(
            "dead_letter",
            topic=self.source_topic,
            tenant_id=key.tenant_id,
            key_id=key.key_id,
            index=rejected.index,
            code=rejected.code,
            field=clip(rejected.field),
        )
        return PendingLetter(letter, key)
