"""STAND-IN until branch hd-query lands (the lead keeps hd-query's file at merge)."""

from __future__ import annotations

from collections.abc import Mapping

from pulse.families.errors import FamilyError
from pulse.families.helpdesk.model import UnansweredConversation
from pulse.graphql.queries import Reader


def unanswered(
    db: Reader,
    tenant_id: str,
    as_of_ms: int,
    sla_ms: Mapping[str, int],
    at_risk_ms: int,
    limit: int,
    channel: str | None = None,
    org_unit: str | None = None,
    agent: str | None = None,
    priority: str | None = None,
) -> list[UnansweredConversation]:
    raise FamilyError("the unanswered list is on branch hd-query", tenant_id=tenant_id)
