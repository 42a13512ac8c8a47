"""The moments of a conversation: one row per event where a helpdesk figure lands.

A conversation's row of ``helpdesk_conversations`` (through the rules of ``conversations_sql``)
unfolds into rows ``(kind, t, event_id, value, channel)``, each on its own event:

- ``CREATED`` for each ``conversation.created``; the earliest (the *known creation*) also carries
  ``reply_ms`` (the first agent reply at or after it) and ``first_resolution_ms`` (the first
  resolution at or after it), from which the query lands the first response in the reply's
  bucket and judges SLA against the targets and ``asOf`` of the question;
- ``RESOLVED`` (value = resolution time, or -1 without one), ``REOPENED``, ``CSAT`` (score).

Every row carries what its conversation is filed under (channel, priority, agent, org unit), so
filters are column predicates. A row's key is ``(tenant_id, kind, t, event_id)``: its event's
time and id, which never change; a refresh only rewrites their content with a higher version.
The first response moves when an earlier creation or an earlier reply arrives late, so it is not
a row of its own (whose key would move and leave the old row behind): it is a column of the
creation row, and the known creation moving only changes which creation row carries it.
"""

from __future__ import annotations

from pulse.families.helpdesk.conversations_sql import rules_sql

CREATED, RESOLVED, REOPENED, CSAT = range(1, 5)

COLUMNS = (
    "tenant_id, kind, t, event_id, conversation_id, value, channel, priority, agent, org_unit,"
    " known_creation, reply_ms, first_resolution_ms, version"
)
# The same columns in the order of COLUMNS, as the unfolding names them.
_SELECTED = COLUMNS.replace(" reply_ms", " creation_reply_ms").replace(
    " first_resolution_ms", " creation_first_resolution_ms"
)

# Facts of a conversation without creation are filed under the event's own channel and
# priority normal.
_UNFOLD = f"""
SELECT
    tenant_id,
    m.1 AS kind,
    m.2 AS t,
    m.3 AS event_id,
    conversation_id,
    m.4 AS value,
    m.5 AS channel,
    if(known, conv_priority, 'normal') AS priority,
    agent,
    org_unit,
    kind = {CREATED} AND t = c.1 AND event_id = c.2 AS known_creation,
    if(known_creation AND replied, reply_ms, NULL) AS creation_reply_ms,
    if(known_creation, first_resolution_ms, NULL) AS creation_first_resolution_ms,
    toUInt64(toUnixTimestamp64Micro(now64(6))) AS version
FROM ({{rules}})
ARRAY JOIN arrayConcat(
    arrayMap(e -> tuple(toUInt8({CREATED}), e.1, e.2, toInt64(0), conv_channel),
             if(known, creations, [])),
    arrayMap(e -> tuple(toUInt8({RESOLVED}), e.1, e.2,
                        if(known AND e.1 >= c.1, toUnixTimestamp64Milli(e.1) - created_ms,
                           toInt64(-1)),
                        if(known, conv_channel, toString(e.3))), resolutions),
    arrayMap(e -> tuple(toUInt8({REOPENED}), e.1, e.2, toInt64(0),
                        if(known, conv_channel, toString(e.3))), reopenings),
    arrayMap(e -> tuple(toUInt8({CSAT}), e.1, e.2, toInt64(e.3),
                        if(known, conv_channel, toString(e.4))), csat)
) AS m
"""


def moments_sql(scope: str, source: str = "helpdesk_conversations") -> str:
    """The moment rows of the conversations of ``scope`` (a ``conversations_sql`` scope)."""
    return _UNFOLD.replace("{rules}", rules_sql(scope, source))


# The moments are partitioned by week (m0021), and the conversations of one refresh may span
# more weeks than ClickHouse lets one insert write by default (100).
_ANY_PARTITIONS = "SETTINGS max_partitions_per_insert_block = 0"
# A read under FINAL: a row's versions share its week (``t`` is in the key), so FINAL need not
# merge across partitions, and reads a partition of one part without merging (ClickHouse 24.1
# decides so alone; 23.x needs the setting).
FINAL_SETTINGS = "SETTINGS do_not_merge_across_partitions_select_final = 1"


def refresh_sql(scope: str, db: str | None = None) -> str:
    """``INSERT`` of the moments of ``scope``; ``db`` qualifies both tables (the migration)."""
    prefix = f"{db}." if db else ""
    return (
        f"INSERT INTO {prefix}helpdesk_moments ({COLUMNS}) {_ANY_PARTITIONS} "
        f"SELECT {_SELECTED} FROM ({moments_sql(scope, prefix + 'helpdesk_conversations')})"
    )
