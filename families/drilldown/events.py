"""The raw events behind a figure: ``events_raw FINAL`` rows of one tenant in a range.

Read in the table's own key order ``(event_type, occurred_at, event_id)`` under the tenant, so a
page is a range scan of the primary key from the cursor on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pulse.families.drilldown.rows import MAX_PAGE, Page, decode, paged
from pulse.graphql.queries import Reader

KIND = "events"
COLUMNS = (
    "event_id",
    "event_type",
    "occurred_at_ms",
    "channel",
    "direction",
    "sender_type",
    "conversation_id",
    "contact_id",
    "agent_id",
    "org_unit",
    "campaign_id",
    "priority",
    "score",
    "name",
    "visitor_id",
    "url",
    "attributes",
)
_KEY = ("event_type", "occurred_at_ms", "event_id")

_SQL = """
SELECT event_id, toString(event_type) AS event_type,
    toUnixTimestamp64Milli(occurred_at) AS occurred_at_ms, toString(channel) AS channel,
    toString(direction) AS direction, toString(sender_type) AS sender_type, conversation_id,
    contact_id, agent_id, toString(org_unit) AS org_unit, campaign_id,
    toString(priority) AS priority, score, name, visitor_id, url, attributes
FROM events_raw FINAL
WHERE tenant_id = {tenant_id:String}
  AND occurred_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')
  AND occurred_at < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
  {filters}
ORDER BY event_type, occurred_at, event_id
LIMIT {limit:UInt32}
"""
# The first two clauses are what the primary key can skip granules by; the tuple is exact.
_AFTER = (
    " AND event_type >= {after_type:String}"
    " AND (event_type > {after_type:String}"
    " OR occurred_at >= fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'))"
    " AND (event_type, occurred_at, event_id) > ({after_type:String},"
    " fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})"
)
# The optional filters: parameter name → fixed clause.
_FILTERS = {
    "event_types": " AND event_type IN {event_types:Array(String)}",
    "channel": " AND channel = {channel:String}",
    "org_unit": " AND org_unit = {org_unit:String}",
    "org_units": " AND org_unit IN {org_units:Array(String)}",
    "campaign_id": " AND campaign_id = {campaign_id:String}",
    "agent_id": " AND agent_id = {agent_id:String}",
    "conversation_id": " AND conversation_id = {conversation_id:String}",
}


@dataclass(frozen=True)
class EventRows:
    """The events of ``tenant_id`` occurring in ``[from_ms, to_ms)`` matching every filter set."""

    db: Reader
    tenant_id: str
    from_ms: int
    to_ms: int
    event_types: Sequence[str] | None = None
    channel: str | None = None
    org_unit: str | None = None
    org_units: Sequence[str] | None = None
    campaign_id: str | None = None
    agent_id: str | None = None
    conversation_id: str | None = None
    columns: tuple[str, ...] = COLUMNS

    def page(self, after: str | None, limit: int) -> Page:
        """Up to ``limit`` events after the cursor ``after`` (None: from the first)."""
        params: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "limit": min(limit, MAX_PAGE) + 1,
        }
        filters = ""
        for name, clause in _FILTERS.items():
            value = getattr(self, name)
            if value is not None:
                params[name] = list(value) if name in ("event_types", "org_units") else value
                filters += clause
        if after is not None:
            params["after_type"], params["after_ms"], params["after_id"] = decode(
                KIND, after, (str, int, str)
            )
            filters += _AFTER
        rows = self.db.query(_SQL.replace("{filters}", filters), params)
        return paged(KIND, rows, min(limit, MAX_PAGE), _KEY)
