"""The helpdesk :class:`Derivation`: ``helpdesk_moments`` recomputed per conversation.

The materialized view has folded a batch into ``helpdesk_conversations`` by the time the sink
calls :meth:`HelpdeskMoments.refresh`, so a refresh reads the merged facts of the touched
conversations and rewrites all their moments (``moments_sql``) in one statement per chunk of
conversations (of up to ``TENANTS_PER_STATEMENT`` tenants), then recounts the backlog rows of
the days those moments sit on (``backlog_days``) and records the days whose figures changed
(``changes``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from pulse.families.derivation import (
    Difference,
    Key,
    chunked_keys,
    entity_chunks,
    row_differences,
    scope_bounds,
    tenants_chunks,
    tenants_params,
    tenants_scope,
)
from pulse.families.helpdesk import backlog_days, changes
from pulse.families.helpdesk.conversations_sql import SOME
from pulse.families.helpdesk.forget import forget_conversations
from pulse.families.helpdesk.moments_sql import moments_sql, refresh_sql
from pulse.sinks.clickhouse import ClickHouse

CHUNK = 5_000

# The event types the view folds into a conversation's facts (agent messages aside).
_CONVERSATION_EVENTS = frozenset(
    {
        "conversation.created",
        "conversation.assigned",
        "conversation.resolved",
        "conversation.reopened",
        "csat.submitted",
    }
)

# Conversations in the order they began, so that a chunk's moments sit in a narrow stretch of
# time: the parts a recalculation writes then overlap little, and a FINAL read merges little.
_KEYS_SQL = """
SELECT tenant_id, conversation_id
FROM events_raw
WHERE conversation_id != ''
  AND (event_type IN ('conversation.created', 'conversation.assigned', 'conversation.resolved',
                      'conversation.reopened', 'csat.submitted')
       OR (event_type = 'message.sent' AND sender_type = 'agent'))
  {bounds}
GROUP BY tenant_id, conversation_id
ORDER BY tenant_id, min(occurred_at), conversation_id
"""

# What a moment holds besides its key; compared by ``differences``.
_CONTENT = (
    "conversation_id",
    "value",
    "channel",
    "priority",
    "agent",
    "org_unit",
    "known_creation",
    "reply_ms",
    "first_resolution_ms",
)
_STORED_SQL = f"""
SELECT kind, t, event_id, {", ".join(_CONTENT)}
FROM helpdesk_moments FINAL
WHERE tenant_id = {{tenant_id:String}} AND conversation_id IN {{ids:Array(String)}}
"""
_RECOMPUTED_SQL = f"""
SELECT kind, t, event_id, conversation_id, value, channel, priority, agent, org_unit,
       known_creation, creation_reply_ms AS reply_ms,
       creation_first_resolution_ms AS first_resolution_ms
FROM ({moments_sql(SOME)})
"""


class HelpdeskMoments:
    """``helpdesk_moments``, keyed by ``(tenant_id, conversation_id)``."""

    name = "helpdesk_moments"

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        """Conversations of conversation events, CSAT and agent messages in the block."""
        rows = zip(
            raw["tenant_id"],
            raw["event_type"],
            raw["conversation_id"],
            raw["sender_type"],
            strict=True,
        )
        return {
            (tenant, conversation)
            for tenant, kind, conversation, sender in rows
            if conversation
            and (kind in _CONVERSATION_EVENTS or (kind == "message.sent" and sender == "agent"))
        }

    def keys_in(
        self, db: ClickHouse, tenant_id: str | None, from_ms: int | None, to_ms: int | None
    ) -> Iterator[list[Key]]:
        """Conversations with helpdesk events in ``[from_ms, to_ms)``, :data:`CHUNK` at a time."""
        bounds, params = scope_bounds("occurred_at", (tenant_id, from_ms, to_ms))
        rows = db.query(_KEYS_SQL.replace("{bounds}", bounds), params)
        return chunked_keys(rows, "conversation_id", CHUNK)

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        """Rewrite every moment of ``keys`` and the backlog rows of their days; how many moments
        that wrote."""
        written = sum(
            db.execute(
                refresh_sql(tenants_scope("conversation_id", len(chunk))), tenants_params(chunk)
            )
            for chunk in tenants_chunks(keys, CHUNK)
        )
        # Once for every tenant and chunk: a batch's chunks and tenants share their days. The
        # changed days go last, once everything a question reads is stored (``changes``).
        days = backlog_days.days_of(db, keys)
        backlog_days.recount(db, days.backlog)
        changes.mark(db, days.every)
        return written

    def forget(self, db: ClickHouse, keys: Collection[Key], event_ids: Collection[str]) -> int:
        """After an erasure: rebuild the facts of ``keys``, drop the erased events' moments,
        refresh the rest; then every answer kept of their tenants is stale (a day that held only
        erased events is no day of what remains, and an answer read before the refresh rests on
        it)."""
        forget_conversations(db, keys, event_ids)
        written = self.refresh(db, keys)
        changes.mark_every_day_of(db, sorted({tenant for tenant, _ in keys}))
        return written

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        """Moments stored for ``keys``, and backlog rows of their days, that a recomputation
        would not write the same way."""
        found: list[Difference] = []
        for tenant_id, ids in entity_chunks(keys, CHUNK):
            params = {"tenant_id": tenant_id, "ids": ids}
            stored = _by_key(db.query(_STORED_SQL, params))
            recomputed = _by_key(db.query(_RECOMPUTED_SQL, params))
            found.extend(row_differences(self.name, tenant_id, stored, recomputed, _CONTENT))
            days = backlog_days.days_of(db, {(tenant_id, i) for i in ids}).backlog.get(
                tenant_id, []
            )
            found.extend(backlog_days.differences(db, tenant_id, days))
        return found


def _by_key(rows: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    return {(int(r["kind"]), r["t"], str(r["event_id"])): r for r in rows}
