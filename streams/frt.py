"""First response time per conversation: state transitions that do not depend on arrival order.

A conversation's creation is its earliest ``conversation.created`` (ties broken by event id); its
first reply is the earliest agent ``message.sent`` at or after that creation. Replies are kept as
candidates until the creation is known, because Kafka does not promise the created event comes
first, and an earlier ``conversation.created`` arriving late can move the creation back before a
reply already seen. So the final FRT is the same for any order of the same events.

Candidates before the creation are bounded (``MAX_CANDIDATES``, the earliest kept): a
conversation whose created event never arrives cannot grow its state without limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from pulse.streams.buckets import all_bucket_bounds
from pulse.streams.source import SourceRecord

MAX_CANDIDATES = 256


class ConversationState(TypedDict):
    created_at: int | None
    created_event_id: str
    channel: str
    priority: str
    candidates: list[int]
    version: int


def empty_state() -> ConversationState:
    return {
        "created_at": None,
        "created_event_id": "",
        "channel": "",
        "priority": "",
        "candidates": [],
        "version": 0,
    }


def is_frt_event(event: Mapping[str, Any]) -> bool:
    """Whether an event can change a conversation's FRT."""
    if not event.get("conversation_id"):
        return False
    if event["event_type"] == "conversation.created":
        return True
    return event["event_type"] == "message.sent" and event.get("sender_type") == "agent"


def first_reply_at(state: ConversationState) -> int | None:
    """The earliest candidate at or after the creation, or None."""
    created = state["created_at"]
    if created is None:
        return None
    return next((c for c in state["candidates"] if c >= created), None)


def apply_event(
    state: ConversationState, event: Mapping[str, Any], source: SourceRecord
) -> ConversationState:
    """The state after one FRT event (a new dict; ``state`` is not modified)."""
    new: ConversationState = {**state, "candidates": list(state["candidates"])}
    # Events folded in, not an offset: a later state always has a higher version, whatever
    # order a replay delivers the conversation's events in.
    new["version"] = state["version"] + 1
    at = int(event["occurred_at"])
    if event["event_type"] == "conversation.created":
        current = (new["created_at"], new["created_event_id"])
        if new["created_at"] is None or (at, event["event_id"]) < current:
            new["created_at"] = at
            new["created_event_id"] = event["event_id"]
            new["channel"] = event.get("channel") or ""
            new["priority"] = event.get("priority") or "normal"
    elif at not in new["candidates"]:
        new["candidates"].append(at)
        new["candidates"].sort()
    new["candidates"] = _prune(new["candidates"], new["created_at"])
    return new


def _prune(candidates: list[int], created: int | None) -> list[int]:
    if created is None:
        return candidates[:MAX_CANDIDATES]
    # Only the first reply at or after the creation can matter now, plus the earlier ones in
    # case an earlier conversation.created arrives later.
    before = [c for c in candidates if c < created]
    after = [c for c in candidates if c >= created][:1]
    return before[-MAX_CANDIDATES:] + after


def frt_fact(state: ConversationState) -> tuple[int, int, str, str] | None:
    """What an FRT row says (created, first reply, channel, priority), to spot a change."""
    reply = first_reply_at(state)
    created = state["created_at"]
    if reply is None or created is None:
        return None
    return created, reply, state["channel"], state["priority"]


def frt_row(
    tenant: str, conversation_id: str, state: ConversationState, tz: str, slice_: str
) -> dict[str, Any] | None:
    """The ``conversation_frt`` row of a conversation with a first reply, else None."""
    fact = frt_fact(state)
    if fact is None:
        return None
    created, reply, channel, priority = fact
    buckets = all_bucket_bounds(reply, tz)
    return {
        "tenant_id": tenant,
        "conversation_id": conversation_id,
        "channel": channel,
        "priority": priority,
        "created_at": created,
        "first_reply_at": reply,
        "frt_ms": reply - created,
        "hour_start": buckets["hour"][0],
        "day_start": buckets["day"][0],
        "week_start": buckets["week"][0],
        "month_start": buckets["month"][0],
        "slice": slice_,
        "version": state["version"],
    }
