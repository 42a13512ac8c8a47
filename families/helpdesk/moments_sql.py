"""The moments of a conversation: one row per instant where a helpdesk figure lands.

A conversation's row of ``helpdesk_conversations`` (through the rules of ``conversations_sql``)
unfolds into rows ``(kind, t, event_id, value, channel, is_deleted)``:

- ``CREATED`` for each ``conversation.created``; the earliest (the *known creation*) also carries
  ``reply_ms`` and ``first_resolution_ms``, so the query judges SLA at the deadline against the
  targets and ``asOf`` of the question;
- ``FIRST_RESPONSE`` at the first agent reply at or after creation, value = FRT;
- ``RESOLVED`` (value = resolution time, or -1 without one), ``REOPENED``, ``CSAT`` (score), each
  on its own event.

Every row carries what its conversation is filed under (channel, priority, agent, org unit), so
filters are column predicates. A row's key is ``(tenant_id, kind, t, event_id)``: an event's own
time and id, or for the first reply its time and ``reply/<conversation>/<agent>``. The first
reply only moves earlier (creation only moves earlier and replies only arrive), so every later
agent reply of the conversation is written as a tombstone (``is_deleted``): whichever of them a
previous refresh wrote as the first reply is removed, without reading what was written before,
and two refreshes racing leave the later one's rows.
"""

from __future__ import annotations

from pulse.families.helpdesk.conversations_sql import rules_sql

CREATED, FIRST_RESPONSE, MET, BREACHED, RESOLVED, REOPENED, CSAT = range(1, 8)

COLUMNS = (
    "tenant_id, kind, t, event_id, conversation_id, value, channel, priority, agent, org_unit,"
    " known_creation, reply_ms, first_resolution_ms, version, is_deleted"
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
    toUInt64(toUnixTimestamp64Micro(now64(6))) AS version,
    m.6 AS is_deleted
FROM ({{rules}})
ARRAY JOIN arrayConcat(
    arrayMap(e -> tuple(toUInt8({CREATED}), e.1, e.2, toInt64(0), conv_channel, toUInt8(0)),
             if(known, creations, [])),
    if(known AND replied,
       [tuple(toUInt8({FIRST_RESPONSE}), answers[1].1,
              concat('reply/', conversation_id, '/', answers[1].2),
              reply_ms - created_ms, conv_channel, toUInt8(0))], []),
    arrayMap(r -> tuple(toUInt8({FIRST_RESPONSE}), r.1, concat('reply/', conversation_id, '/', r.2),
                        toInt64(0), conv_channel, toUInt8(1)),
             if(known AND replied, arrayPopFront(answers), [])),
    arrayMap(e -> tuple(toUInt8({RESOLVED}), e.1, e.2,
                        if(known AND e.1 >= c.1, toUnixTimestamp64Milli(e.1) - created_ms,
                           toInt64(-1)),
                        if(known, conv_channel, toString(e.3)), toUInt8(0)), resolutions),
    arrayMap(e -> tuple(toUInt8({REOPENED}), e.1, e.2, toInt64(0),
                        if(known, conv_channel, toString(e.3)), toUInt8(0)), reopenings),
    arrayMap(e -> tuple(toUInt8({CSAT}), e.1, e.2, toInt64(e.3),
                        if(known, conv_channel, toString(e.4)), toUInt8(0)), csat)
) AS m
"""


def moments_sql(scope: str, source: str = "helpdesk_conversations") -> str:
    """The moment rows of the conversations of ``scope`` (a ``conversations_sql`` scope)."""
    return _UNFOLD.replace("{rules}", rules_sql(scope, source))


def refresh_sql(scope: str, db: str | None = None) -> str:
    """``INSERT`` of the moments of ``scope``; ``db`` qualifies both tables (the migration)."""
    prefix = f"{db}." if db else ""
    return (
        f"INSERT INTO {prefix}helpdesk_moments ({COLUMNS}) "
        f"SELECT {_SELECTED} FROM ({moments_sql(scope, prefix + 'helpdesk_conversations')})"
    )
