"""One row per conversation of a tenant, derived at query time from the merged entity facts.

Both the figures and the unanswered list start here, so the rules live once: creation (the
earliest ``conversation.created``, tie by event id), channel and priority (``normal`` when
absent), the first agent reply at or after creation, the agent and org unit a conversation
belongs to, and its first-response deadline. Every caller value is a ``{name:Type}`` parameter;
only the optional filter clauses below are spliced, and they are fixed text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulse.families.helpdesk.model import DEFAULT_SLA_MS, PRIORITIES

# ``c`` is the least ``(occurred_at, event_id, channel, priority, agent_id, org_unit)`` over the
# conversation's ``conversation.created`` events; without one it is the migration's neutral
# tuple, whose channel is "" (a created event always carries one). The assignments are the
# greatest ``(occurred_at, event_id, value)``, value "" when there is none.
CONVERSATIONS_SQL = """
SELECT
    conversation_id,
    c.3 != '' AS known,
    toUnixTimestamp64Milli(c.1) AS created_ms,
    creations,
    c.3 AS conv_channel,
    if(c.4 = '', 'normal', c.4) AS conv_priority,
    arraySort(arrayFilter(r -> r.1 >= c.1, agent_replies)) AS answers,
    notEmpty(answers) AS replied,
    toUnixTimestamp64Milli(answers[1].1) AS reply_ms,
    multiIf(assigned_agent != '', assigned_agent, c.5 != '', c.5, answers[1].2) AS agent,
    if(assigned_org_unit != '', assigned_org_unit, c.6) AS org_unit,
    created_ms + multiIf(
        conv_priority = 'urgent', {sla_urgent:Int64},
        conv_priority = 'high', {sla_high:Int64},
        conv_priority = 'low', {sla_low:Int64},
        {sla_normal:Int64}) AS deadline_ms,
    resolutions,
    reopenings,
    csat
FROM (
    SELECT
        conversation_id,
        created AS c,
        creations,
        assigned_agent.3 AS assigned_agent,
        assigned_org_unit.3 AS assigned_org_unit,
        agent_replies,
        resolutions,
        reopenings,
        csat
    FROM helpdesk_conversations FINAL
    WHERE tenant_id = {tenant_id:String}
)
WHERE 1 {conversation_filters}
"""

# Filters on what a conversation belongs to (the agent rule, the org unit rule).
_AGENT = " AND agent = {agent:String}"
_ORG_UNIT = " AND org_unit = {org_unit:String}"


def conversation_filters(agent: str | None, org_unit: str | None) -> str:
    """The fixed clauses for the filters that are set."""
    return (_AGENT if agent is not None else "") + (_ORG_UNIT if org_unit is not None else "")


def conversation_params(
    tenant_id: str,
    sla_ms: Mapping[str, int],
    agent: str | None,
    org_unit: str | None,
) -> dict[str, Any]:
    """The parameters of :data:`CONVERSATIONS_SQL`; a priority without a target: the default."""
    params: dict[str, Any] = {"tenant_id": tenant_id}
    for priority in PRIORITIES:
        params[f"sla_{priority}"] = int(sla_ms.get(priority, DEFAULT_SLA_MS[priority]))
    if agent is not None:
        params["agent"] = agent
    if org_unit is not None:
        params["org_unit"] = org_unit
    return params
