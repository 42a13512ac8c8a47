"""Embed tokens: a scoped, expiring, read-only token for one dashboard, signed with the API's key.

The token carries the ``dashboard`` claim, the view role only, and its minter's tenant and
subject; its org units are the minter's, or fewer when the minter narrows them, so it never sees
more than its minter did. The minter also fixes any widget variables but the range (``filters``
claim): its viewer may pick only the range and its ``from``/``to``, and the fixed filters are
applied after everything else (``pulse.dashboards.graphql``). The API refuses it every field but
that dashboard (``CanViewDashboard`` in ``pulse.graphql.permissions``), whose widget queries run
under their usual checks. It cannot be revoked, so its life is bounded
(``PULSE_API_EMBED_MAX_TTL_SECONDS``) and never outlasts the minter's own token.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulse.dashboards.errors import EmbedRefusedError
from pulse.graphql.auth import VIEW, Claims, issue_token

# The variables an embed token's viewer picks; every other one is fixed when it is minted.
VIEWER_PICKS = frozenset({"from", "to"})


@dataclass(frozen=True)
class EmbedGrant:
    token: str
    # The token's own ``exp`` (seconds since the epoch).
    expires_at: int


@dataclass(frozen=True)
class EmbedIssuer:
    """Signs embed tokens with the API's own key, for at most ``max_ttl_seconds``."""

    secret: str
    algorithm: str
    max_ttl_seconds: int

    def mint(
        self,
        minter: Claims,
        dashboard_id: str,
        ttl_seconds: int,
        filters: Mapping[str, Any] | None = None,
        org_units: Sequence[str] | None = None,
    ) -> EmbedGrant:
        """A token for ``dashboard_id``, living ``ttl_seconds`` or until the minter's token
        expires, whichever is sooner."""
        if not 1 <= ttl_seconds <= self.max_ttl_seconds:
            raise EmbedRefusedError(
                "ttlSeconds",
                f"must be between 1 and {self.max_ttl_seconds}",
                "Mint a short-lived token and mint again before it expires.",
            )
        fixed = fixed_filters(filters)
        units = embed_units(minter, org_units)
        now = int(time.time())
        life = min(ttl_seconds, minter.expires_at - now)
        if life < 1:
            raise EmbedRefusedError(
                "ttlSeconds", "the minting token expires now", "Mint with a fresh token."
            )
        token = issue_token(
            minter.tenant_id,
            self.secret,
            life,
            self.algorithm,
            roles=[VIEW],
            org_units=sorted(units) if units is not None else None,
            subject=minter.subject or None,
            dashboard=dashboard_id,
            filters=fixed,
            now=now,
        )
        return EmbedGrant(token, now + life)


def fixed_filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The minter's filters, which may not name what the viewer picks."""
    fixed = dict(filters or {})
    picked = sorted(VIEWER_PICKS & fixed.keys())
    if picked:
        raise EmbedRefusedError(
            "filters",
            f"{', '.join(picked)} is the viewer's to pick",
            "Leave the range out of the filters; the page's viewer picks it.",
        )
    return fixed


def embed_units(minter: Claims, asked: Sequence[str] | None) -> frozenset[str] | None:
    """The token's org units: the minter's, or the ``asked`` ones, which must be among them."""
    if asked is None:
        return minter.org_units
    units = frozenset(asked)
    if not units or not all(units):
        raise EmbedRefusedError(
            "orgUnits", "must name at least one unit", "Leave orgUnits out for all of yours."
        )
    outside = sorted(units - minter.org_units) if minter.org_units is not None else []
    if outside:
        raise EmbedRefusedError(
            "orgUnits",
            f"{', '.join(outside)} is outside the minting token's units",
            "Name only units your own token covers.",
        )
    return units
