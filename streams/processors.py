"""The process stage: accepted events + current state -> rows and state changes. No I/O.

Given the same state and the same events, :func:`process_batch` returns the same rows and the
same new state (it consumes the events: each becomes its raw row in place); that is what lets
a batch replayed after a crash repeat itself exactly (ARCHITECTURE.md, "Exactly once, end to
end"). The caller writes each changed key back once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulse.streams.counters import CounterSlice, SliceId, counter_row, fold_counters, slice_key
from pulse.streams.frt import (
    ConversationState,
    apply_event,
    empty_state,
    frt_fact,
    frt_row,
    is_frt_event,
)
from pulse.streams.raw_rows import to_raw_row
from pulse.streams.source import SourceRecord
from pulse.streams.state import Lookup

Row = dict[str, Any]
# A decoded event (owned by the batch: the process stage turns it into its raw row in place)
# and where it came from.
Accepted = tuple[dict[str, Any], SourceRecord]


@dataclass
class BatchOutput:
    """Rows by table, and the table entries the batch changed (final values only)."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    counters: dict[str, list[int]] = field(default_factory=dict)
    conversations: dict[str, ConversationState] = field(default_factory=dict)

    def add_rows(self, table: str, rows: list[Row]) -> None:
        if rows:
            self.rows.setdefault(table, []).extend(rows)


def conversation_key(tenant: str, conversation_id: str) -> str:
    """The ``conversations`` table key (JSON, so ids containing "|" cannot collide)."""
    return json.dumps([tenant, conversation_id], separators=(",", ":"))


def process_batch(
    accepted: Sequence[Accepted],
    tz_of: Callable[[str], str],
    counters: Lookup[list[int]],
    conversations: Lookup[ConversationState],
) -> BatchOutput:
    """Rows of a batch of accepted events from one source partition, in offset order.

    Counter and FRT rows carry the batch's final value of each changed key, versioned by the
    offset of the last event folded into it.
    """
    out = BatchOutput()
    changed_counters: dict[SliceId, CounterSlice] = {}
    changed_conversations: dict[tuple[str, str], tuple[ConversationState, Accepted]] = {}
    if accepted:
        slice_ = accepted[0][1].slice
        fold_counters(((e, slice_) for e, _ in accepted), tz_of, counters, changed_counters)
    for event, source in accepted:
        tenant = event["tenant_id"]
        if is_frt_event(event):
            conversation = (tenant, event["conversation_id"])
            previous = changed_conversations.get(conversation)
            if previous:
                state = previous[0]
            else:
                state = conversations.get(conversation_key(*conversation)) or empty_state()
            changed_conversations[conversation] = (
                apply_event(state, event, source),
                (event, source),
            )

    out.counters = {slice_key(k): v.to_state() for k, v in changed_counters.items()}
    out.add_rows("messaging_counters", [counter_row(k, v) for k, v in changed_counters.items()])

    frt_rows: list[Row] = []
    for conversation, (state, (event, source)) in changed_conversations.items():
        key = conversation_key(*conversation)
        out.conversations[key] = state
        before = conversations.get(key)
        if before is not None and frt_fact(before) == frt_fact(state):
            continue
        tenant = event["tenant_id"]
        row = frt_row(tenant, event["conversation_id"], state, tz_of(tenant), source.slice)
        if row is not None:
            frt_rows.append(row)
    out.add_rows("conversation_frt", frt_rows)
    # Last: each event becomes its raw row in place, so nothing may read it as an event after.
    out.add_rows("events_raw", [to_raw_row(event, source) for event, source in accepted])
    return out
