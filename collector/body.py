"""A request's body: read within the size limit, inflated if gzipped, parsed as JSON events.

The limit holds for the bytes as sent and again for the inflated bytes, so a small gzip bomb is
refused at the limit instead of filling memory. A body that cannot be read as JSON at all is
refused whole (400); what each event holds is judged event by event (:mod:`verdicts`).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from starlette.requests import Request

from pulse.collector.errors import RequestRefusedError

# zlib's gzip framing (a 16 + window-bits header check).
_GZIP_WBITS = 31


def _too_large(limit: int) -> RequestRefusedError:
    return RequestRefusedError(413, "body_too_large", f"the body is over {limit} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The body as sent, inflated when ``Content-Encoding: gzip``; 413 past ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        return inflate(body, limit)
    if encoding not in ("", "identity"):
        raise RequestRefusedError(
            415, "unsupported_encoding", f"Content-Encoding {encoding!r}: only gzip is accepted"
        )
    return body


def inflate(body: bytes, limit: int) -> bytes:
    """One gzip member inflated, at most ``limit`` bytes of it."""
    inflater = zlib.decompressobj(_GZIP_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise RequestRefusedError(400, "bad_gzip", f"the body is not gzip: {exc}") from exc
    if len(out) > limit:
        raise _too_large(limit)
    if not inflater.eof or inflater.unused_data:
        raise RequestRefusedError(
            400, "bad_gzip", "the gzip body is truncated or has trailing data"
        )
    return out


def parse_json(body: bytes) -> Any:
    """The body's JSON value; 400 when it is none (bad UTF-8, bad JSON, nested too deeply)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise RequestRefusedError(400, "invalid_json", f"the body is not JSON: {exc}") from exc


def bulk_events(value: Any, most: int) -> list[Any]:
    """The events of a bulk body: a JSON array of at most ``most`` of them."""
    if not isinstance(value, list):
        raise RequestRefusedError(400, "not_an_array", "a bulk body is a JSON array of events")
    if len(value) > most:
        raise RequestRefusedError(
            413, "too_many_events", f"{len(value)} events; a bulk request takes at most {most}"
        )
    return value
