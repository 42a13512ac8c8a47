"""Seed 003's live list: conversations of a tenant still waiting for a first agent reply.

Open at ``as_of``: no resolution by then, or the latest of its resolutions and reopenings by then
(by ``(occurred_at, event_id)``) is a reopening. Unanswered: created at or before ``as_of`` and
no agent reply in ``[creation, as_of]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pulse.families.helpdesk.conversations_sql import (
    CONVERSATIONS_SQL,
    conversation_filters,
    conversation_params,
)
from pulse.families.helpdesk.model import UnansweredConversation
from pulse.graphql.queries import Reader

_UNANSWERED_SQL = f"""
SELECT conversation_id, created_ms, conv_channel AS channel, conv_priority AS priority, deadline_ms
FROM ({CONVERSATIONS_SQL})
WHERE known AND created_ms <= {{as_of_ms:Int64}}
  AND NOT (replied AND reply_ms <= {{as_of_ms:Int64}})
  AND arrayReverseSort(arrayConcat(
        arrayMap(e -> tuple(e.1, e.2, 0),
                 arrayFilter(e -> toUnixTimestamp64Milli(e.1) <= {{as_of_ms:Int64}}, resolutions)),
        arrayMap(e -> tuple(e.1, e.2, 1),
                 arrayFilter(e -> toUnixTimestamp64Milli(e.1) <= {{as_of_ms:Int64}}, reopenings)),
        [tuple(toDateTime64(0, 3, 'UTC'), '', 1)]
      ))[1].3 = 1
  {{filters}}
ORDER BY created_ms, conversation_id
LIMIT {{limit:UInt32}}
"""

_CHANNEL = " AND conv_channel = {channel:String}"
_PRIORITY = " AND conv_priority = {priority:String}"


def unanswered(
    db: Reader,
    tenant_id: str,
    as_of_ms: int,
    sla_ms: Mapping[str, int],
    at_risk_ms: int,
    limit: int,
    *,
    channel: str | None = None,
    org_unit: str | None = None,
    agent: str | None = None,
    priority: str | None = None,
    org_units: Sequence[str] | None = None,
) -> list[UnansweredConversation]:
    """Open conversations without a first agent reply at ``as_of_ms``, oldest first.

    ``breached``: the deadline is at or before ``as_of_ms``; ``at_risk``: not breached and the
    deadline is at most ``at_risk_ms`` after ``as_of_ms``.
    """
    params = conversation_params(tenant_id, sla_ms, agent, org_unit, org_units)
    params.update(as_of_ms=as_of_ms, limit=limit)
    filters = ""
    if channel is not None:
        params["channel"] = channel
        filters += _CHANNEL
    if priority is not None:
        params["priority"] = priority
        filters += _PRIORITY
    sql = _UNANSWERED_SQL.replace("{filters}", filters).replace(
        "{conversation_filters}", conversation_filters(agent, org_unit, org_units)
    )
    found = []
    for row in db.query(sql, params):
        created, deadline = int(row["created_ms"]), int(row["deadline_ms"])
        breached = deadline <= as_of_ms
        found.append(
            UnansweredConversation(
                conversation_id=str(row["conversation_id"]),
                created_at_ms=created,
                age_ms=as_of_ms - created,
                channel=str(row["channel"]),
                priority=str(row["priority"]),
                deadline_ms=deadline,
                breached=breached,
                at_risk=not breached and deadline <= as_of_ms + at_risk_ms,
            )
        )
    return found
