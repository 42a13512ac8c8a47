"""Renders one dead letter for ``pulse dlq show``: where it came from, why, and its payload.

The payload is decoded as the worker decodes it, so a user sees the event that broke a rule; a
payload that does not decode is shown as the decoder's complaint and a hex and base64 prefix. A
letter of the HTTP collector holds the client's JSON event, shown as JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any, Protocol

from pulse.avro.errors import DecodeError
from pulse.streams.dlq_letters import Letter

PREFIX_BYTES = 256


class Decoder(Protocol):
    def decode(self, data: bytes | None) -> dict[str, Any]: ...


def render(letter: Letter, decoder: Decoder) -> Iterator[str]:
    yield f"letter        {letter.id}"
    yield f"source topic  {letter.source_topic}"
    yield f"failed at     {letter.failed_at_iso}"
    yield f"tenant        {letter.tenant_id or '(unknown)'}"
    yield f"code          {letter.code}"
    yield f"field         {letter.field or '-'}"
    yield f"reason        {letter.reason}"
    yield f"key           {_text(letter.key)}"
    if letter.collected:
        yield f"api key       {letter.collector_key_id} ({letter.collector_key_kind})"
    yield f"payload       {letter.payload_bytes} bytes, sha256 {letter.payload_sha256 or '?'}"
    if letter.truncated:
        yield (
            f"              truncated: only the first {len(letter.value)} bytes are stored, "
            "so this letter cannot be replayed"
        )
    yield "headers"
    for name, value in letter.headers:
        yield f"  {name}: {_text(value)}"
    yield from _payload(letter, decoder)


def _payload(letter: Letter, decoder: Decoder) -> Iterator[str]:
    if letter.collected and not letter.truncated:
        try:
            sent = json.loads(letter.value)
        except ValueError as exc:
            yield f"payload is no JSON: {exc}"
        else:
            yield "event (as sent, JSON)"
            yield json.dumps(sent, indent=2, sort_keys=True, ensure_ascii=False)
            return
    elif not letter.truncated:
        try:
            event = decoder.decode(letter.value)
        except DecodeError as exc:
            yield f"payload does not decode: {exc.message}"
        else:
            yield "event (decoded)"
            yield json.dumps(event, indent=2, sort_keys=True, default=str)
            return
    prefix = letter.value[:PREFIX_BYTES]
    yield f"payload (first {len(prefix)} of {len(letter.value)} stored bytes)"
    yield f"  hex     {prefix.hex()}"
    yield f"  base64  {base64.b64encode(prefix).decode()}"


def _text(data: bytes | None) -> str:
    if data is None:
        return "(none)"
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + data.hex()
