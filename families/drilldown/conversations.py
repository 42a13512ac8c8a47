"""The conversations behind a helpdesk figure, each with its facts, created in a range.

Read from ``helpdesk_moments`` alone, which helpdesk's derivation files by its own rules
(``conversations_sql``): a conversation's known creation row carries its creation, channel,
priority, agent, org unit, first reply and first resolution, and its ``RESOLVED`` and ``CSAT``
rows the resolutions and scores. A page is the range's known creation rows read in the table's
key order ``(tenant_id, kind, t, event_id)`` from the cursor on (creation time, then the creation
event's id), a range read of the key, a week first, then twice the span and so on until the
page is full (``FINAL`` merges each week's partition of the moments on its own, m0021, so a read
of many weeks would start every week's merge for the first rows of one); then the resolutions
and CSAT of the page's conversations only. Per-conversation point reads of
``helpdesk_conversations`` would decompress most of its granules of arrays for any page (ids do
not follow creation time), which costs about as much as reading every conversation of the
tenant.

The SLA state is judged at ``as_of_ms`` as the figures do: met when the first reply came by the
deadline, breached when the deadline passed with no reply by it and no resolution in
``[creation, deadline)``, otherwise pending (or resolved without a reply). A resolution counts
from the creation on (a ``RESOLVED`` row's value is -1 before it); every CSAT response counts,
the latest (by time, then event id) giving the score.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulse.families.drilldown.rows import MAX_PAGE, Page, decode, paged
from pulse.families.helpdesk.conversations_sql import deadline_sql, sla_params
from pulse.families.helpdesk.moments_sql import CREATED, CSAT, RESOLVED
from pulse.families.helpdesk.query import DAY_MS
from pulse.graphql.queries import Reader

_WEEK_MS = 7 * DAY_MS
# 1970-01-05, the first Monday after the epoch: where the moments' partitions (UTC weeks) start.
_MONDAY_MS = 4 * DAY_MS

# The cursors' kind tag. Its version names the sort key: cursors of the earlier key
# (created_ms, conversation_id) had the same types, so only the tag tells them apart (BAD_CURSOR).
KIND = "conversations.2"
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
# The known creation's time and event id: helpdesk_moments' key under the tenant and kind.
_KEY = ("created_at_ms", "creation_event_id")

# Parts that overlap after late rows and refreshes made FINAL split its ranges into layers, which
# doubled the page's time at 5M events (42 -> 26 ms median); one merge stream reads in key order.
_PAGE = f"""
SELECT
    conversation_id,
    event_id AS creation_event_id,
    toUnixTimestamp64Milli(t) AS created_at_ms,
    toString(channel) AS channel,
    toString(priority) AS priority,
    toString(agent) AS agent,
    toString(org_unit) AS org_unit,
    reply_ms AS first_reply_at_ms,
    reply_ms - created_at_ms AS frt_ms,
    {deadline_sql("created_at_ms", "priority")} AS deadline_ms,
    multiIf(
        reply_ms IS NOT NULL AND reply_ms <= least(deadline_ms, {{as_of_ms:Int64}}), 'met',
        deadline_ms > {{as_of_ms:Int64}}, 'pending',
        first_resolution_ms IS NOT NULL AND first_resolution_ms < deadline_ms, 'resolved',
        'breached') AS sla_state,
    first_resolution_ms AS first_resolution_at_ms,
    first_resolution_ms - created_at_ms AS resolution_ms
FROM helpdesk_moments FINAL
WHERE tenant_id = {{tenant_id:String}} AND kind = {CREATED} AND known_creation = 1
  AND t >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC')
  AND t < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')
  {{filters}}
ORDER BY t, event_id
LIMIT {{limit:UInt32}}
SETTINGS split_intersecting_parts_ranges_into_layers_final = 0,
    do_not_merge_across_partitions_select_final = 1
"""
# The latest version of each resolution and CSAT row of the page's conversations: a row's key
# is its own event's, which belongs to one conversation, so filtering before deduplicating is
# exact, and cheaper than FINAL over every resolution and score of the tenant.
_FOLLOW_UPS = f"""
SELECT
    conversation_id,
    toUInt32(countIf(kind = {RESOLVED} AND value >= 0)) AS resolution_count,
    toUInt32(countIf(kind = {CSAT})) AS csat_responses,
    if(csat_responses = 0, NULL, argMaxIf(value, (t, event_id), kind = {CSAT})) AS csat_score
FROM (
    SELECT kind, t, event_id, conversation_id, argMax(value, version) AS value
    FROM helpdesk_moments
    WHERE tenant_id = {{tenant_id:String}} AND kind IN ({RESOLVED}, {CSAT})
      AND conversation_id IN {{ids:Array(String)}}
    GROUP BY kind, t, event_id, conversation_id
)
GROUP BY conversation_id
"""
# The first clause alone is what the primary key can skip granules by.
_AFTER = (
    " AND t >= fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC')"
    " AND (t, event_id) > (fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})"
)
# The optional filters on what a conversation is filed under: parameter name → fixed clause.
_FILTERS = {
    "channel": " AND channel = {channel:String}",
    "priority": " AND priority = {priority:String}",
    "agent": " AND agent = {agent:String}",
    "org_unit": " AND org_unit = {org_unit:String}",
    "org_units": " AND org_unit IN {org_units:Array(String)}",
}
_NO_FOLLOW_UPS = {"resolution_count": 0, "csat_responses": 0, "csat_score": None}


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
        start = self.from_ms
        if after is not None:
            params["after_ms"], params["after_id"] = decode(KIND, after, (int, str))
            filters += _AFTER
            start = max(start, params["after_ms"])
        wanted = params["limit"]
        rows: list[dict[str, Any]] = []
        sql = _PAGE.replace("{filters}", filters)
        for window_from, window_to in _windows(start, self.to_ms):
            window = {"from_ms": window_from, "to_ms": window_to, "limit": wanted - len(rows)}
            rows += self.db.query(sql, {**params, **window})
            if len(rows) == wanted:
                break
        return paged(KIND, self._with_follow_ups(rows), min(limit, MAX_PAGE), _KEY)

    def _with_follow_ups(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` with their resolution count and CSAT responses and score."""
        if not rows:
            return rows
        ids = [r["conversation_id"] for r in rows]
        found = {
            r["conversation_id"]: r
            for r in self.db.query(_FOLLOW_UPS, {"tenant_id": self.tenant_id, "ids": ids})
        }
        return [
            {
                **row,
                **{k: found.get(row["conversation_id"], _NO_FOLLOW_UPS)[k] for k in _NO_FOLLOW_UPS},
            }
            for row in rows
        ]


def _windows(from_ms: int, to_ms: int) -> Iterator[tuple[int, int]]:
    """``[from_ms, to_ms)`` in consecutive windows ending on UTC Mondays: to the first, then
    two weeks on, four, and so on."""
    weeks = 1
    while from_ms < to_ms:
        week_start = (from_ms - _MONDAY_MS) // _WEEK_MS * _WEEK_MS + _MONDAY_MS
        end = min(to_ms, week_start + weeks * _WEEK_MS)
        yield from_ms, end
        from_ms, weeks = end, weeks * 2
