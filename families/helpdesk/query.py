"""STAND-IN until branch hd-query lands (the lead keeps hd-query's file at merge)."""

from __future__ import annotations

from pulse.families.errors import FamilyError
from pulse.families.helpdesk.model import HelpdeskAnswer, HelpdeskQuery
from pulse.graphql.queries import Reader


def helpdesk_answer(db: Reader, q: HelpdeskQuery) -> HelpdeskAnswer:
    raise FamilyError("the helpdesk query is on branch hd-query", tenant_id=q.tenant_id)
