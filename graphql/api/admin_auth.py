"""Admin tokens: bearer JWTs that grant operations on the store, not reads of a tenant.

An admin token carries a ``scope`` claim (space-separated, as in OAuth 2) and ``exp``, and no
``tenant_id``, so it can never read a tenant's figures through ``/graphql``; a tenant's token has
no ``scope`` and so can never run an admin route. Both are signed with ``PULSE_API_JWT_SECRET``:
whoever holds the secret (the operator running ``pulse recalc`` beside ``pulse serve``) can mint
either.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from pulse.graphql.auth import bearer_token
from pulse.graphql.errors import ForbiddenError, UnauthenticatedError

# Rebuild derived tables from raw events (``POST /admin/recalc``).
RECALC_SCOPE = "admin:recalc"


def issue_admin_token(scope: str, secret: str, ttl_seconds: int, algorithm: str = "HS256") -> str:
    """A signed token granting ``scope`` that expires ``ttl_seconds`` from now."""
    claims = {"sub": "pulse-admin", "scope": scope, "exp": int(time.time()) + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=algorithm)


def verify_admin_header(
    authorization: str | None, secret: str, scope: str, algorithm: str = "HS256"
) -> None:
    """Returns if the header's token is valid and grants ``scope``; else UnauthenticatedError
    (no valid token) or ForbiddenError (a valid token without the scope)."""
    token = bearer_token(authorization)
    try:
        payload: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[algorithm], options={"require": ["exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise UnauthenticatedError(
            "The bearer token has expired.", suggestion="Mint a fresh admin token and retry."
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise UnauthenticatedError(
            "The bearer token is invalid (malformed, wrongly signed or without 'exp').",
            suggestion="Sign admin tokens with this API's PULSE_API_JWT_SECRET.",
        ) from exc
    granted = payload.get("scope")
    if not isinstance(granted, str) or scope not in granted.split():
        raise ForbiddenError(
            f"This token does not grant the '{scope}' scope.",
            suggestion=f"Use an admin token whose 'scope' claim includes '{scope}'.",
            scope=scope,
        )
