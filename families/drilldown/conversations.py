"""The conversations behind a helpdesk figure, each with its facts, created in a range.

A page is chosen by ``helpdesk_moments``' key ``(tenant_id, kind, t, …)``: the known creation
rows of the range, already filed under their conversation's channel, priority, agent and org
unit by helpdesk's own derivation, read in ``(t, conversation_id)`` order from the cursor on, so
the first page is a range read at the start of the month, not a scan of every conversation of
the tenant. Only the page's conversations are then read from ``helpdesk_conversations`` by its
key and given their facts by helpdesk's own rules (``conversations_sql``: creation, channel,
priority, agent, org unit, first reply, resolutions, deadline); the SLA state is judged at
``as_of_ms`` as the figures do: met when the first reply came by the deadline, breached when the
deadline passed with no reply by it and no resolution in ``[creation, deadline)``, otherwise
pending (or resolved without a reply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulse.families.drilldown.rows import MAX_PAGE, Page, decode, paged
from pulse.families.helpdesk.conversations_sql import conversations_sql, sla_params
from pulse.families.helpdesk.moments_sql import CREATED
from pulse.graphql.queries import Reader

KIND = "conversations"
COLUMNS = (
    "conversation_id",
    "created_at_ms",
    "channel",
    "priority",
    "agent",
    "org_unit",
    "first_reply_at_ms",
    "frt_ms",
    "deadline_ms",
    "sla_state",
    "resolution_count",
    "first_resolution_at_ms",
    "resolution_ms",
    "csat_responses",
    "csat_score",
)
_KEY = ("created_at_ms", "conversation_id")

# The page's conversations: known creations in the range under the filters, after the cursor.
_PAGE = f"""
SELECT conversation_id FROM helpdesk_moments FINAL
WHERE tenant_id = {{tenant_id:String}} AND kind = {CREATED} AND known_creation = 1
  AND t >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC')
  AND t < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')
  {{filters}}
ORDER BY t, conversation_id
LIMIT {{limit:UInt32}}
"""
_SCOPE = f"tenant_id = {{tenant_id:String}} AND conversation_id IN ({_PAGE})"

_SQL = f"""
SELECT
    conversation_id,
    created_ms AS created_at_ms,
    conv_channel AS channel,
    conv_priority AS priority,
    agent,
    org_unit,
    if(replied, reply_ms, NULL) AS first_reply_at_ms,
    if(replied, reply_ms - created_ms, NULL) AS frt_ms,
    deadline_ms,
    multiIf(
        replied AND reply_ms <= least(deadline_ms, {{as_of_ms:Int64}}), 'met',
        deadline_ms > {{as_of_ms:Int64}}, 'pending',
        first_resolution_ms IS NOT NULL AND first_resolution_ms < deadline_ms, 'resolved',
        'breached') AS sla_state,
    toUInt32(length(arrayFilter(r -> r.1 >= c.1, resolutions))) AS resolution_count,
    first_resolution_ms AS first_resolution_at_ms,
    first_resolution_ms - created_ms AS resolution_ms,
    toUInt32(length(csat)) AS csat_responses,
    if(empty(csat), NULL, toInt64(arrayReverseSort(csat)[1].3)) AS csat_score
FROM ({conversations_sql(_SCOPE).replace("{conversation_filters}", "")})
WHERE known
ORDER BY created_ms, conversation_id
"""
_AFTER = (
    " AND (t, conversation_id) >"
    " (fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})"
)
# The optional filters on what a conversation is filed under: parameter name → fixed clause.
_FILTERS = {
    "channel": " AND channel = {channel:String}",
    "priority": " AND priority = {priority:String}",
    "agent": " AND agent = {agent:String}",
    "org_unit": " AND org_unit = {org_unit:String}",
    "org_units": " AND org_unit IN {org_units:Array(String)}",
}


@dataclass(frozen=True)
class ConversationRows:
    """The conversations of ``tenant_id`` created in ``[from_ms, to_ms)`` matching the filters;
    SLA judged at ``as_of_ms`` against ``sla_ms``."""

    db: Reader
    tenant_id: str
    from_ms: int
    to_ms: int
    as_of_ms: int
    sla_ms: Mapping[str, int]
    channel: str | None = None
    priority: str | None = None
    agent: str | None = None
    org_unit: str | None = None
    org_units: Sequence[str] | None = None
    columns: tuple[str, ...] = COLUMNS

    def page(self, after: str | None, limit: int) -> Page:
        """Up to ``limit`` conversations after the cursor ``after``, oldest created first."""
        params: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "as_of_ms": self.as_of_ms,
            "limit": min(limit, MAX_PAGE) + 1,
            **sla_params(self.sla_ms),
        }
        filters = ""
        for name, clause in _FILTERS.items():
            value = getattr(self, name)
            if value is not None:
                params[name] = list(value) if name == "org_units" else value
                filters += clause
        if after is not None:
            params["after_ms"], params["after_id"] = decode(KIND, after, (int, str))
            filters += _AFTER
        sql = _SQL.replace("{filters}", filters)
        return paged(KIND, self.db.query(sql, params), min(limit, MAX_PAGE), _KEY)
