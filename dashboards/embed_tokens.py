"""Embed tokens: a scoped, expiring, read-only token for one dashboard, signed with the API's key.

The token carries the ``dashboard`` claim, the view role only, and its minter's tenant, org units
and subject, so it never sees more than its minter did; the API refuses it every field but that
dashboard (``CanViewDashboard`` in ``pulse.graphql.permissions``), whose widget queries run under
their usual checks. It cannot be revoked, so its life is bounded
(``PULSE_API_EMBED_MAX_TTL_SECONDS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pulse.graphql.auth import VIEW, Claims, issue_token
from pulse.graphql.errors import InvalidArgumentError


@dataclass(frozen=True)
class EmbedIssuer:
    """Signs embed tokens with the API's own key, for at most ``max_ttl_seconds``."""

    secret: str
    algorithm: str
    max_ttl_seconds: int

    def mint(self, minter: Claims, dashboard_id: str, ttl_seconds: int) -> str:
        if not 1 <= ttl_seconds <= self.max_ttl_seconds:
            raise InvalidArgumentError(
                f"ttlSeconds must be between 1 and {self.max_ttl_seconds}.",
                suggestion="Mint a short-lived token and mint again before it expires.",
                field="ttlSeconds",
            )
        return issue_token(
            minter.tenant_id,
            self.secret,
            ttl_seconds,
            self.algorithm,
            roles=[VIEW],
            org_units=sorted(minter.org_units) if minter.org_units is not None else None,
            subject=minter.subject or None,
            dashboard=dashboard_id,
        )
