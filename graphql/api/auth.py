"""Bearer-token authentication (JWT, HS256) and the tenant scoping of every query.

A token's ``tenant_id`` claim is the only tenant its bearer may read; ``exp`` is required, so no
token lives forever. The token is checked once per request when the context is built; fields
guarded by :class:`IsAuthenticated` (and the role checks of ``permissions.py`` built on it)
refuse to run without a valid one.

``roles`` (a list) grants ``analytics.view``, ``analytics.manage`` and/or ``analytics.pii``; a
token without the claim has view and manage, as every token minted before roles existed does,
but never ``analytics.pii``: seeing the fields a tenant marks sensitive is always granted by
name. ``org_units`` (a non-empty
list), when present, confines the bearer to those org units (``permissions.py``); ``sub`` names
the bearer in the audit log. ``dashboard``, when present, confines the bearer to that one
dashboard and its widgets: an embed token (``permissions.py``, ``embedToken``); its ``filters``
(an object) are the widget variables fixed when it was minted, which its viewer cannot change.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
from strawberry.permission import BasePermission
from strawberry.types import Info

from pulse.graphql.errors import ForbiddenError, UnauthenticatedError

_SCHEME = "bearer"

VIEW = "analytics.view"
MANAGE = "analytics.manage"
# Sees the drill-down and export fields a tenant marks sensitive; implied by no other role.
PII = "analytics.pii"
# What a token without a roles claim grants.
DEFAULT_ROLES = (VIEW, MANAGE)
ROLES = (VIEW, MANAGE, PII)


@dataclass(frozen=True)
class Claims:
    """What a verified token says about its bearer: whose data, which roles, which org units
    (None: all of the tenant's), who (``sub``, empty when the token names nobody), the one
    dashboard it is confined to (None: no such confinement) and the widget variables fixed
    with that confinement."""

    tenant_id: str
    expires_at: int
    roles: frozenset[str] = frozenset(DEFAULT_ROLES)
    org_units: frozenset[str] | None = None
    subject: str = ""
    dashboard: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)


def issue_token(
    tenant_id: str,
    secret: str,
    ttl_seconds: int,
    algorithm: str = "HS256",
    *,
    roles: Sequence[str] | None = None,
    org_units: Sequence[str] | None = None,
    subject: str | None = None,
    dashboard: str | None = None,
    filters: Mapping[str, Any] | None = None,
    now: int | None = None,
) -> str:
    """A signed token for ``tenant_id`` that expires ``ttl_seconds`` after ``now`` (the
    clock's second by default); without ``roles`` it carries no roles claim (view and manage),
    without ``org_units`` no scope."""
    minted_at = int(time.time()) if now is None else now
    claims: dict[str, Any] = {"tenant_id": tenant_id, "exp": minted_at + ttl_seconds}
    if roles is not None:
        claims["roles"] = list(roles)
    if org_units is not None:
        claims["org_units"] = list(org_units)
    if subject:
        claims["sub"] = subject
    if dashboard is not None:
        claims["dashboard"] = dashboard
    if filters:
        claims["filters"] = dict(filters)
    return jwt.encode(claims, secret, algorithm=algorithm)


def verify_header(authorization: str | None, secret: str, algorithm: str = "HS256") -> Claims:
    """The claims of an ``Authorization: Bearer <jwt>`` header, or UnauthenticatedError."""
    return verify_token(bearer_token(authorization), secret, algorithm)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <jwt>`` header, or UnauthenticatedError."""
    if not authorization:
        raise UnauthenticatedError(
            "Authentication required: no Authorization header.",
            suggestion="Send 'Authorization: Bearer <token>'; `pulse token TENANT` mints one.",
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != _SCHEME or not token.strip():
        raise UnauthenticatedError(
            "The Authorization header is not a bearer token.",
            suggestion="Use the form 'Authorization: Bearer <token>'.",
        )
    return token.strip()


def verify_token(token: str, secret: str, algorithm: str = "HS256") -> Claims:
    """The claims of a signed, unexpired token carrying a ``tenant_id``."""
    try:
        payload: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[algorithm], options={"require": ["exp", "tenant_id"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise UnauthenticatedError(
            "The bearer token has expired.",
            suggestion="Mint a fresh token (`pulse token TENANT`) and retry.",
        ) from exc
    except jwt.MissingRequiredClaimError as exc:
        raise UnauthenticatedError(
            f"The bearer token lacks the required claim '{exc.claim}'.",
            suggestion="Tokens must carry 'tenant_id' and 'exp' claims.",
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise UnauthenticatedError(
            "The bearer token is invalid (malformed or wrongly signed).",
            suggestion="Check that the token was signed with this API's secret.",
        ) from exc
    tenant_id = payload["tenant_id"]
    if not isinstance(tenant_id, str) or not tenant_id:
        raise UnauthenticatedError(
            "The bearer token's 'tenant_id' claim is not a non-empty string.",
            suggestion="Mint the token with `pulse token TENANT`.",
        )
    return Claims(
        tenant_id=tenant_id,
        expires_at=int(payload["exp"]),
        roles=_roles(payload),
        org_units=_org_units(payload),
        subject=str(payload.get("sub") or ""),
        dashboard=_dashboard(payload),
        filters=_filters(payload),
    )


def _strings(payload: dict[str, Any], claim: str) -> frozenset[str]:
    value = payload[claim]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UnauthenticatedError(
            f"The bearer token's '{claim}' claim is not a list of non-empty strings.",
            suggestion="Mint the token with `pulse token TENANT --role … --org-unit …`.",
        )
    return frozenset(value)


def _roles(payload: dict[str, Any]) -> frozenset[str]:
    if "roles" not in payload:
        return frozenset(DEFAULT_ROLES)
    roles = _strings(payload, "roles")
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise UnauthenticatedError(
            f"The bearer token names unknown roles: {', '.join(unknown)}.",
            suggestion=f"Roles are {', '.join(ROLES)}.",
        )
    return roles


def _org_units(payload: dict[str, Any]) -> frozenset[str] | None:
    """None without the claim; an empty list would confine the bearer to nothing, which is
    a minting mistake rather than a useful token, so it is refused."""
    if "org_units" not in payload:
        return None
    units = _strings(payload, "org_units")
    if not units:
        raise UnauthenticatedError(
            "The bearer token's 'org_units' claim is empty.",
            suggestion="Leave the claim out for the whole tenant, or name at least one unit.",
        )
    return units


def _dashboard(payload: dict[str, Any]) -> str | None:
    if "dashboard" not in payload:
        return None
    value = payload["dashboard"]
    if not isinstance(value, str) or not value:
        raise UnauthenticatedError(
            "The bearer token's 'dashboard' claim is not a non-empty string.",
            suggestion="Mint an embed token with the embedToken mutation.",
        )
    return value


def _filters(payload: dict[str, Any]) -> dict[str, Any]:
    value = payload.get("filters", {})
    if not isinstance(value, dict):
        raise UnauthenticatedError(
            "The bearer token's 'filters' claim is not an object.",
            suggestion="Mint an embed token with the embedToken mutation.",
        )
    return value


def scoped_tenant(claims: Claims, requested: str | None) -> str:
    """The tenant a query reads: the token's, which an explicit ``tenantId`` must match."""
    if requested is None or requested == claims.tenant_id:
        return claims.tenant_id
    raise ForbiddenError(
        f"This token may read tenant '{claims.tenant_id}' only, not '{requested}'.",
        suggestion="Leave out tenantId, or use a token minted for that tenant.",
        tenant_id=requested,
    )


class IsAuthenticated(BasePermission):
    """Lets a field run only with a verified token; otherwise reports why the token was refused."""

    message = "Authentication required."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        auth = info.context.auth
        if isinstance(auth, UnauthenticatedError):
            raise auth
        return isinstance(auth, Claims)
