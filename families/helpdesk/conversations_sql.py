"""One row per conversation, derived from the merged entity facts: the per-conversation rules.

The moments refresh (``moments_sql``) and the unanswered list both start here, so the rules live
once: creation (the earliest ``conversation.created``, tie by event id), channel and priority
(``normal`` when absent), the first agent reply at or after creation, the first resolution at or
after creation, the agent and org unit a conversation belongs to, and (for the live list) its
first-response deadline. Every caller value is a ``{name:Type}`` parameter; the scope and the
optional filter clauses are fixed text chosen by code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulse.families.helpdesk.model import DEFAULT_SLA_MS, PRIORITIES

# ``c`` is the least ``(occurred_at, event_id, channel, priority, agent_id, org_unit)`` over the
# conversation's ``conversation.created`` events; without one it is the migration's neutral
# tuple, whose channel is "" (a created event always carries one). The assignments are the
# greatest ``(occurred_at, event_id, value)``, value "" when there is none. ``answers`` are the
# agent replies at or after creation, oldest first (tie: agent id).
_RULES_SQL = """
SELECT
    tenant_id,
    conversation_id,
    c,
    c.3 != '' AS known,
    toUnixTimestamp64Milli(c.1) AS created_ms,
    creations,
    c.3 AS conv_channel,
    if(c.4 = '', 'normal', c.4) AS conv_priority,
    arraySort(arrayFilter(r -> r.1 >= c.1, agent_replies)) AS answers,
    notEmpty(answers) AS replied,
    toUnixTimestamp64Milli(answers[1].1) AS reply_ms,
    if(arrayExists(r -> r.1 >= c.1, resolutions),
       arrayMin(arrayMap(r -> toUnixTimestamp64Milli(r.1),
                         arrayFilter(r -> r.1 >= c.1, resolutions))),
       NULL) AS first_resolution_ms,
    multiIf(assigned_agent != '', assigned_agent, c.5 != '', c.5, answers[1].2) AS agent,
    if(assigned_org_unit != '', assigned_org_unit, c.6) AS org_unit,
    resolutions,
    reopenings,
    csat
FROM (
    SELECT
        tenant_id,
        conversation_id,
        created AS c,
        creations,
        assigned_agent.3 AS assigned_agent,
        assigned_org_unit.3 AS assigned_org_unit,
        agent_replies,
        resolutions,
        reopenings,
        csat
    FROM {source} FINAL
    WHERE {scope}
)
"""

# Scopes: one tenant (the live list), some conversations of one tenant (a refresh), everything
# (the migration's backfill).
TENANT = "tenant_id = {tenant_id:String}"
SOME = "tenant_id = {tenant_id:String} AND conversation_id IN {ids:Array(String)}"
EVERYTHING = "1"


def rules_sql(scope: str, source: str = "helpdesk_conversations") -> str:
    """The per-conversation rules over the conversations of ``scope`` read from ``source``."""
    return _RULES_SQL.replace("{source}", source).replace("{scope}", scope)


# The priorities judged by a target of their own; any other is judged by normal's.
OWN_TARGETS = ("urgent", "high", "low")


def target_sql(priority: str) -> str:
    """The first-response target of ``priority`` (an SQL expression), by the ``sla_<priority>``
    parameters."""
    arms = "".join(f"{priority} = '{p}', {{sla_{p}:Int64}}, " for p in OWN_TARGETS)
    return f"multiIf({arms}{{sla_normal:Int64}})"


def deadline_sql(created_ms: str, priority: str) -> str:
    """The first-response deadline of a conversation created at ``created_ms`` with
    ``priority`` (SQL expressions), by the ``sla_<priority>`` parameters."""
    return f"{created_ms} + {target_sql(priority)}"


CONVERSATIONS_SQL = f"""
SELECT
    *,
    {deadline_sql("created_ms", "conv_priority")} AS deadline_ms
FROM ({rules_sql(TENANT)})
WHERE 1 {{conversation_filters}}
"""

# Filters on what a conversation belongs to (the agent rule, the org unit rule).
_AGENT = " AND agent = {agent:String}"
_ORG_UNIT = " AND org_unit = {org_unit:String}"
_ORG_UNITS = " AND org_unit IN {org_units:Array(String)}"


def conversation_filters(
    agent: str | None, org_unit: str | None, org_units: Sequence[str] | None = None
) -> str:
    """The fixed clauses for the filters that are set."""
    return (
        (_AGENT if agent is not None else "")
        + (_ORG_UNIT if org_unit is not None else "")
        + (_ORG_UNITS if org_units is not None else "")
    )


def sla_params(sla_ms: Mapping[str, int]) -> dict[str, int]:
    """``sla_<priority>`` for every priority; a priority without a target: the default."""
    return {
        f"sla_{priority}": int(sla_ms.get(priority, DEFAULT_SLA_MS[priority]))
        for priority in PRIORITIES
    }


def conversation_params(
    tenant_id: str,
    sla_ms: Mapping[str, int],
    agent: str | None,
    org_unit: str | None,
    org_units: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The parameters of :data:`CONVERSATIONS_SQL`."""
    params: dict[str, Any] = {"tenant_id": tenant_id, **sla_params(sla_ms)}
    if agent is not None:
        params["agent"] = agent
    if org_unit is not None:
        params["org_unit"] = org_unit
    if org_units is not None:
        params["org_units"] = list(org_units)
    return params
