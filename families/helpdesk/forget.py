"""What an erasure must do to helpdesk tables that a moments refresh cannot: unmerge and unkey.

``helpdesk_conversations`` is an AggregatingMergeTree: the states of a conversation already merged
the erased events and no later insert can take them out. So the erased conversations' fact rows
are deleted and folded again from the raw events that remain, with the migration's own backfill
statement (m0006) narrowed to them; then the moments of the erased events (keyed by their ids,
which no refresh writes again) are deleted and the backlog rows of their days recounted. The
refresh that follows (``derived.HelpdeskMoments.forget``) rewrites the remaining moments of those
conversations from the rebuilt facts and recounts their days.
"""

from __future__ import annotations

from collections.abc import Collection

from pulse.families.derivation import Key, entity_chunks
from pulse.families.errors import FamilyError
from pulse.families.helpdesk import backlog_days
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.migrations import m0006_helpdesk_facts

CHUNK = 5_000
_ALL = "WHERE conversation_id != ''"
_SOME = (
    "WHERE tenant_id = {tenant_id:String} AND conversation_id IN {ids:Array(String)}"
    " AND conversation_id != ''"
)
_DELETE_FACTS = (
    "DELETE FROM {db}.helpdesk_conversations"
    " WHERE tenant_id = {tenant_id:String} AND conversation_id IN {ids:Array(String)}"
)
_DELETE_MOMENTS = (
    "DELETE FROM {db}.helpdesk_moments"
    " WHERE tenant_id = {tenant_id:String} AND conversation_id IN {ids:Array(String)}"
    " AND event_id IN {event_ids:Array(String)}"
)


def _backfill(database: str) -> str:
    """m0006's backfill (``INSERT … SELECT`` over every conversation), for some of them."""
    backfill = m0006_helpdesk_facts.FORWARDS[-1]
    if _ALL not in backfill:
        raise FamilyError(
            "m0006's backfill no longer has the filter the erasure narrows",
            migration="m0006_helpdesk_facts",
        )
    return backfill.replace(_ALL, _SOME).replace("{db}", database)


def forget_conversations(db: ClickHouse, keys: Collection[Key], event_ids: Collection[str]) -> None:
    """Rebuild the facts of ``keys`` from the raw events left, delete the moments of
    ``event_ids`` and recount their days' backlog rows."""
    rebuild = _backfill(db.database)
    erased = sorted(set(event_ids))
    for tenant_id, ids in entity_chunks(keys, CHUNK):
        params = {"tenant_id": tenant_id, "ids": ids}
        db.execute(_DELETE_FACTS.replace("{db}", db.database), params)
        db.execute(rebuild, params)
        days = backlog_days.days_of_events(db, tenant_id, ids, erased)
        db.execute(_DELETE_MOMENTS.replace("{db}", db.database), {**params, "event_ids": erased})
        backlog_days.recount(db, {tenant_id: days})
