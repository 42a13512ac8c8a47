"""Who may run which field: the roles and the org-unit scope of a token, in one place.

Every root field carries one of these permission classes (``tests/graphql/test_permissions.py``
fails on a field without one):

- :class:`CanView` (``analytics.view``): figures with no org-unit dimension (web, outreach
  flows, campaigns, realtime). A token confined to org units is FORBIDDEN there: a tenant-wide
  figure would show the other units' activity, and a figure that cannot be narrowed is refused
  rather than quietly widened.
- :class:`CanViewInScope` (``analytics.view``): fields that narrow to the token's org units;
  a given ``orgUnit`` outside them is FORBIDDEN here, and the resolver passes
  :func:`org_unit_scope` to its query, so none given means all of the token's units.
- :class:`CanManage` (``analytics.manage``): alert rule mutations; a confined token manages the
  rules whose ``filter.orgUnit`` is one of its units (``pulse.alerts.rules_graphql``).
- :class:`CanManageTenant` (``analytics.manage``, not confined): the tenant's audit log.
- :class:`CanViewDashboard` (``analytics.view``, narrowed): one dashboard by its ``id``, the one
  field an embed token (a ``dashboard`` claim) may run at the root; inside it, that dashboard's
  widget queries run under their own checks. Every other field refuses an embed token, so it
  shows its dashboard and nothing else, whatever the embedding product does with it.

``analytics.pii`` guards no field: it widens what a drill-down row shows (the tenant's sensitive
fields unmasked, filters on them allowed), judged where rows are built
(``pulse.families.drilldown.sources``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from strawberry.types import Info

from pulse.graphql.auth import MANAGE, VIEW, Claims, IsAuthenticated
from pulse.graphql.errors import ForbiddenError


@dataclass(frozen=True)
class OrgUnitScope:
    """The org-unit filter of a question: one unit, or any of ``among`` (None: no filter)."""

    org_unit: str | None = None
    among: tuple[str, ...] | None = None


def org_unit_scope(claims: Claims, requested: str | None) -> OrgUnitScope:
    """The filter a question must carry: the one asked for, which a confined token must own;
    none asked for, the token's units (a single one as a plain filter)."""
    units = claims.org_units
    if units is None:
        return OrgUnitScope(org_unit=requested)
    if requested is not None:
        _check_owned(claims, requested)
        return OrgUnitScope(org_unit=requested)
    if len(units) == 1:
        return OrgUnitScope(org_unit=next(iter(units)))
    return OrgUnitScope(among=tuple(sorted(units)))


def may_see(claims: Claims, org_unit: str | None) -> bool:
    """Whether an object filed under ``org_unit`` (None: the whole tenant) is the token's."""
    return claims.org_units is None or (org_unit is not None and org_unit in claims.org_units)


def _check_owned(claims: Claims, org_unit: str) -> None:
    if not may_see(claims, org_unit):
        raise ForbiddenError(
            f"This token may read org units {_listed(claims.org_units or ())} only,"
            f" not '{org_unit}'.",
            suggestion="Leave out orgUnit, or use a token minted for that org unit.",
            org_unit=org_unit,
        )


def _listed(units: Iterable[str]) -> str:
    return ", ".join(f"'{u}'" for u in sorted(units))


class _Role(IsAuthenticated):
    """A verified token granting ``role``; ``confined`` says whether a token confined to org
    units may run the field at all."""

    role = VIEW
    confined = False

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        super().has_permission(source, info, **kwargs)
        requested = kwargs.get("org_unit")
        require(
            info.context.claims,
            self,
            info.field_name,
            requested if isinstance(requested, str) else None,
            within=self.within(info, kwargs),
        )
        return True

    def within(self, info: Info, kwargs: dict[str, Any]) -> str | None:
        """The dashboard this field runs for: the one whose widget is being answered."""
        widget_of = info.context.widget_of
        return widget_of if isinstance(widget_of, str) else None


def require(
    claims: Claims,
    rule: _Role,
    what: str,
    org_unit: str | None = None,
    within: str | None = None,
) -> None:
    """Refuse (FORBIDDEN) ``claims`` unless ``rule`` lets them run ``what`` narrowed to
    ``org_unit``, for the dashboard ``within`` (if any): GraphQL fields and the export endpoint
    judge alike."""
    if claims.dashboard is not None and within != claims.dashboard:
        raise ForbiddenError(
            f"This token may show dashboard '{claims.dashboard}' only; '{what}' is outside it.",
            suggestion="Ask for that dashboard, or use a token not minted for embedding.",
            field=what,
        )
    if rule.role not in claims.roles:
        raise ForbiddenError(
            f"'{what}' needs the role {rule.role}; this token has"
            f" {_listed(claims.roles) or 'none'}.",
            suggestion=f"Use a token granting {rule.role} (`pulse token --role {rule.role}`).",
            role=rule.role,
        )
    if claims.org_units is not None:
        if not rule.confined:
            raise ForbiddenError(
                f"'{what}' covers the whole tenant and cannot be narrowed to org"
                " units; this token is confined to some.",
                suggestion="Ask with a token not confined to org units.",
                field=what,
            )
        if org_unit is not None:
            _check_owned(claims, org_unit)


class CanView(_Role):
    """Reads of figures that have no org-unit dimension."""


class CanViewInScope(CanView):
    """Reads that the resolver narrows to the token's org units (:func:`org_unit_scope`)."""

    confined = True


class CanManage(_Role):
    """Changes to alert rules; the resolver keeps a confined token to its units' rules."""

    role = MANAGE
    confined = True


class CanManageTenant(_Role):
    """Tenant-wide management reads (the audit log)."""

    role = MANAGE


class CanViewDashboard(CanViewInScope):
    """One dashboard by its ``id``, which an embed token for that dashboard may read."""

    def within(self, info: Info, kwargs: dict[str, Any]) -> str | None:
        return str(kwargs["id"])
