"""The conversations behind a helpdesk figure, each with its facts, created in a range.

The per-conversation rules are helpdesk's own (``conversations_sql.CONVERSATIONS_SQL``: creation,
channel, priority, agent, org unit, first reply, resolutions, deadline); this module only reads
them for one page and judges the SLA state at ``as_of_ms`` as the figures do: met when the first
reply came by the deadline, breached when the deadline passed with no reply by it and no
resolution in ``[creation, deadline)``, otherwise pending (or resolved without a reply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulse.families.drilldown.rows import MAX_PAGE, Page, decode, paged
from pulse.families.helpdesk.conversations_sql import (
    CONVERSATIONS_SQL,
    conversation_filters,
    conversation_params,
)
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
FROM ({CONVERSATIONS_SQL})
WHERE known
  AND created_ms >= {{from_ms:Int64}} AND created_ms < {{to_ms:Int64}}
  {{filters}}
ORDER BY created_ms, conversation_id
LIMIT {{limit:UInt32}}
"""
_AFTER = " AND (created_ms, conversation_id) > ({after_ms:Int64}, {after_id:String})"
_CHANNEL = " AND conv_channel = {channel:String}"
_PRIORITY = " AND conv_priority = {priority:String}"


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
        params: dict[str, Any] = conversation_params(
            self.tenant_id, self.sla_ms, self.agent, self.org_unit, self.org_units
        )
        params.update(
            from_ms=self.from_ms,
            to_ms=self.to_ms,
            as_of_ms=self.as_of_ms,
            limit=min(limit, MAX_PAGE) + 1,
        )
        filters = ""
        if self.channel is not None:
            params["channel"] = self.channel
            filters += _CHANNEL
        if self.priority is not None:
            params["priority"] = self.priority
            filters += _PRIORITY
        if after is not None:
            params["after_ms"], params["after_id"] = decode(KIND, after, (int, str))
            filters += _AFTER
        sql = _SQL.replace("{filters}", filters).replace(
            "{conversation_filters}",
            conversation_filters(self.agent, self.org_unit, self.org_units),
        )
        return paged(KIND, self.db.query(sql, params), min(limit, MAX_PAGE), _KEY)
