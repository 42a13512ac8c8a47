"""Which key a request presents, what it may do, and the CORS answer for browsers.

A server key goes in ``Authorization: Bearer``, never in a URL (URLs end up in logs). A site
key may also come as ``X-Pulse-Key`` or as ``?key=``: ``navigator.sendBeacon`` cannot set a
header, and a page's site key is public anyway; what guards it is its allowed origins and its
``web.*``-only scope. Browsers send ``Origin`` on every POST, so a site key's request without
an allowed origin is refused.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request

from pulse.collector.errors import RequestRefusedError
from pulse.collector.keys import PREFIXES, ApiKey

ALLOWED_HEADERS = "authorization, content-type, content-encoding, x-pulse-key"
PREFLIGHT_MAX_AGE_SECONDS = 600


class KeyLookup(Protocol):
    def lookup(self, presented: str) -> ApiKey | None: ...

    def site_origins(self) -> frozenset[str]: ...


def _unauthorized(reason: str, message: str) -> RequestRefusedError:
    return RequestRefusedError(401, reason, message)


def presented_key(request: Request) -> tuple[str | None, bool]:
    """The key the request carries, and whether it came in the URL."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None, False
    header = request.headers.get("x-pulse-key")
    if header:
        return header.strip(), False
    query = request.query_params.get("key")
    return (query or None), query is not None


def authenticate(request: Request, keys: KeyLookup) -> ApiKey:
    """The active key of the request; 401 (missing, unknown, revoked), 403 (site key, origin)."""
    presented, in_url = presented_key(request)
    if presented is None:
        raise _unauthorized("missing_key", "send an API key: Authorization: Bearer <key>")
    if in_url and presented.startswith(PREFIXES["server"]):
        raise _unauthorized("key_in_url", "a server key goes in Authorization: Bearer, not a URL")
    record = keys.lookup(presented)
    if record is None:
        raise _unauthorized("unknown_key", "no such API key")
    if not record.active:
        raise _unauthorized("revoked_key", "this API key was revoked")
    if record.kind == "site" and request.headers.get("origin") not in record.allowed_origins:
        raise RequestRefusedError(
            403, "origin_not_allowed", "this site key is not allowed from this origin"
        )
    return record


def cors_headers(request: Request, record: ApiKey | None) -> dict[str, str]:
    """``Access-Control-Allow-Origin`` for a site key's allowed origin; nothing otherwise."""
    origin = request.headers.get("origin")
    if record is None or record.kind != "site" or origin not in record.allowed_origins:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_headers(request: Request, keys: KeyLookup) -> dict[str, str] | None:
    """The headers allowing a preflight's origin, or None to refuse it.

    A preflight carries no header of the real request, so its key is known only from ``?key=``;
    without one, the origin must be one some active site key allows (the real request is then
    checked against its own key)."""
    origin = request.headers.get("origin")
    if not origin:
        return None
    presented = request.query_params.get("key")
    if presented:
        record = keys.lookup(presented)
        allowed = (
            record is not None
            and record.active
            and record.kind == "site"
            and origin in record.allowed_origins
        )
    else:
        allowed = origin in keys.site_origins()
    if not allowed:
        return None
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
        "Vary": "Origin",
    }
