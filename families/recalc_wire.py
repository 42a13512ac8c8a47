"""The JSON form of a recalculation's request and events, one event per line (NDJSON).

``pulse recalc`` sends the request to the process that owns an embedded ClickHouse and reads
back the events it would have produced itself; the same forms are what ``--json`` prints. Stored
and recomputed values become plain JSON (instants as ISO-8601 text), so a difference reads the
same whichever process computed it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pulse.errors import PulseError
from pulse.families.derivation import Difference
from pulse.families.recalc import (
    BadRecalcRequestError,
    ChunkDone,
    Event,
    FamilyDone,
    RecalcError,
    RecalcRequest,
)


def plain(value: Any) -> Any:
    """``value`` as JSON can carry it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def request_to_json(request: RecalcRequest) -> dict[str, Any]:
    return {
        "tenant_id": request.tenant_id,
        "from_ms": request.from_ms,
        "to_ms": request.to_ms,
        "families": list(request.families),
        "verify": request.verify,
    }


def request_from_json(body: object) -> RecalcRequest:
    """The request a client sent; :class:`BadRecalcRequestError` for any other shape."""
    if not isinstance(body, dict):
        raise BadRecalcRequestError("the request body is not a JSON object")
    tenant, from_ms, to_ms = body.get("tenant_id"), body.get("from_ms"), body.get("to_ms")
    families, verify = body.get("families", []), body.get("verify", False)
    if (
        not (tenant is None or isinstance(tenant, str))
        or not all(
            v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (from_ms, to_ms)
        )
        or not (isinstance(families, list) and all(isinstance(f, str) for f in families))
        or not isinstance(verify, bool)
    ):
        raise BadRecalcRequestError(
            "expected {tenant_id: str|null, from_ms: int|null, to_ms: int|null, "
            "families: [str], verify: bool}"
        )
    return RecalcRequest(tenant, from_ms, to_ms, tuple(families), verify)


def difference_to_json(family: str, difference: Difference) -> dict[str, Any]:
    return {
        "family": family,
        "table": difference.table,
        "key": plain(difference.key),
        "column": difference.column,
        "stored": plain(difference.stored),
        "recomputed": plain(difference.recomputed),
    }


def event_to_json(event: Event) -> dict[str, Any]:
    if isinstance(event, ChunkDone):
        return {
            "event": "chunk",
            "family": event.family,
            "keys": event.keys,
            "rows": event.rows,
            "differences": [difference_to_json(event.family, d) for d in event.differences],
        }
    return {
        "event": "family",
        "family": event.family,
        "keys": event.keys,
        "rows": event.rows,
        "differences": event.differences,
        "seconds": round(event.seconds, 3),
    }


def error_line(error: PulseError) -> bytes:
    """The last line of a stream that failed part-way: what the serving process knows of why."""
    return json.dumps({"event": "error", **plain(error.as_dict())}).encode() + b"\n"


def event_line(event: Event) -> bytes:
    return json.dumps(event_to_json(event)).encode() + b"\n"


def event_from_line(line: bytes | str) -> Event:
    """One streamed event; an ``error`` line becomes :class:`RecalcError`."""
    try:
        data = json.loads(line)
        kind = data["event"]
        if kind == "chunk":
            differences = tuple(
                Difference(d["table"], tuple(d["key"]), d["column"], d["stored"], d["recomputed"])
                for d in data["differences"]
            )
            return ChunkDone(data["family"], data["keys"], data["rows"], differences)
        if kind == "family":
            return FamilyDone(
                data["family"], data["keys"], data["rows"], data["differences"], data["seconds"]
            )
    except (ValueError, KeyError, TypeError) as exc:
        raise RecalcError(f"unreadable progress line from the server: {exc}") from exc
    if kind == "error":
        raise RecalcError(
            f"the serving process failed: {data.get('message', '?')}",
            **{k: v for k, v in data.items() if k not in ("event", "message")},
        )
    raise RecalcError(f"unknown progress event {kind!r} from the server")
