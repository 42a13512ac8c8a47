"""A dead letter as the tools see it: its id, its headers read leniently, and the filters.

The worker writes the rejected message's own key and bytes to ``<source topic><suffix>`` with
its reason in headers (:mod:`pulse.streams.deadletter`). Letters written before a header existed
lack it, so every header but the error code is optional here and has a fallback: the tenant is
unknown (``""``), ``failed_at`` is the dead-letter message's timestamp, the payload size and
hash are those of the stored bytes, and the source topic is the dead-letter topic minus its
suffix. Everything in this module is free of I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pulse.cli_instants import parse_option_instant
from pulse.streams.dlq_errors import BadLetterIdError, BadTimeError

CODE = "pulse.error.code"
FIELD = "pulse.error.field"
REASON = "pulse.error.reason"
SOURCE_TOPIC = "pulse.source.topic"
SOURCE_PARTITION = "pulse.source.partition"
SOURCE_OFFSET = "pulse.source.offset"
# Which row of a hand-off message the sink refused (0 otherwise).
SOURCE_ROW = "pulse.source.row"
TENANT_ID = "pulse.tenant_id"
FAILED_AT = "pulse.failed_at"
PAYLOAD_BYTES = "pulse.payload.bytes"
PAYLOAD_SHA256 = "pulse.payload.sha256"
PAYLOAD_TRUNCATED = "pulse.payload.truncated"
# Set on a replayed message: the id of the letter it was replayed from.
REPLAY_OF = "pulse.replay.of"
# A letter of the HTTP collector (its payload is the client's JSON event): the API key that sent
# it and the key's kind, which a replay judges the event under again.
COLLECTOR_KEY_ID = "pulse.collector.key_id"
COLLECTOR_KEY_KIND = "pulse.collector.key_kind"

RawHeaders = Iterable[tuple[str, str | bytes | None]]


@dataclass(frozen=True, slots=True, order=True)
class LetterId:
    """Where a letter is stored; printed and parsed as ``<dlq topic>:<partition>:<offset>``."""

    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> LetterId:
        # Topic names never hold ':' (topics.toml allows letters, digits, '.', '_', '-').
        topic, _, rest = text.partition(":")
        partition, _, offset = rest.partition(":")
        if not topic or not partition.isdigit() or not offset.isdigit():
            raise BadLetterIdError(
                f"{text!r} is not a letter id; `pulse dlq list` prints them as "
                "<dlq topic>:<partition>:<offset>",
                letter_id=text,
            )
        return cls(topic, int(partition), int(offset))


@dataclass(frozen=True, slots=True)
class Letter:
    id: LetterId
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    source_topic: str
    code: str
    field: str
    reason: str
    tenant_id: str
    failed_at_ms: int
    payload_bytes: int
    payload_sha256: str
    # The stored value is only a prefix of the rejected message: it cannot be replayed.
    truncated: bool
    # Set for a letter of the HTTP collector only.
    collector_key_id: str = ""
    collector_key_kind: str = ""

    @classmethod
    def from_message(
        cls,
        letter_id: LetterId,
        key: bytes | None,
        value: bytes | None,
        headers: RawHeaders | None,
        timestamp_ms: int,
        suffix: str,
    ) -> Letter:
        raw = tuple((name, _bytes(data)) for name, data in headers or ())
        found = {name: data.decode("utf-8", "replace") for name, data in raw}
        stored = value or b""
        truncated = found.get(PAYLOAD_TRUNCATED, "") == "true"
        sha = found.get(PAYLOAD_SHA256) or ("" if truncated else hashlib.sha256(stored).hexdigest())
        return cls(
            id=letter_id,
            key=key,
            value=stored,
            headers=raw,
            source_topic=found.get(SOURCE_TOPIC) or letter_id.topic.removesuffix(suffix),
            code=found.get(CODE, ""),
            field=found.get(FIELD, ""),
            reason=found.get(REASON, ""),
            tenant_id=found.get(TENANT_ID, ""),
            failed_at_ms=_int(found.get(FAILED_AT), timestamp_ms),
            payload_bytes=_int(found.get(PAYLOAD_BYTES), len(stored)),
            payload_sha256=sha,
            truncated=truncated,
            collector_key_id=found.get(COLLECTOR_KEY_ID, ""),
            collector_key_kind=found.get(COLLECTOR_KEY_KIND, ""),
        )

    @property
    def collected(self) -> bool:
        """True for a letter of the HTTP collector: its payload is JSON, not a topic's bytes."""
        return bool(self.collector_key_id)

    @property
    def failed_at_iso(self) -> str:
        return iso(self.failed_at_ms)

    def summary(self) -> dict[str, Any]:
        """The letter without its payload, as ``pulse dlq list --json`` prints it."""
        return {
            "id": str(self.id),
            "failed_at": self.failed_at_iso,
            "failed_at_ms": self.failed_at_ms,
            "tenant_id": self.tenant_id,
            "code": self.code,
            "field": self.field,
            "reason": self.reason,
            "source_topic": self.source_topic,
            "payload_bytes": self.payload_bytes,
            "payload_sha256": self.payload_sha256,
            "truncated": self.truncated,
            "collector_key_id": self.collector_key_id,
        }


@dataclass(frozen=True, slots=True)
class LetterFilter:
    """Which letters a command acts on; None matches anything. ``until`` is exclusive."""

    tenant: str | None = None
    code: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    def matches(self, letter: Letter) -> bool:
        return (
            (self.tenant is None or letter.tenant_id == self.tenant)
            and (self.code is None or letter.code == self.code)
            and (self.since_ms is None or letter.failed_at_ms >= self.since_ms)
            and (self.until_ms is None or letter.failed_at_ms < self.until_ms)
        )


def parse_time(text: str, option: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 date or date-time; UTC unless it has a zone."""
    return parse_option_instant(text, option, BadTimeError)


def iso(ms: int) -> str:
    at = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")
    return at.removesuffix("+00:00") + "Z"


def _int(text: str | None, fallback: int) -> int:
    if text is None or not text.strip().isdigit():
        return fallback
    return int(text)


def _bytes(data: str | bytes | None) -> bytes:
    return data.encode() if isinstance(data, str) else data or b""
