"""The pure process stage: raw rows with privacy, counters that equal a recount, order-free FRT."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.streams.buckets import all_bucket_bounds
from pulse.streams.counters import COUNTER_FIELDS
from pulse.streams.frt import ConversationState
from pulse.streams.privacy import anonymize_ip
from pulse.streams.processors import BatchOutput, process_batch
from pulse.streams.source import SourceRecord

T0 = 1_730_592_000_000  # 2024-11-03T00:00:00Z, New York's fall-back day
MIN = 60_000


def event(event_type: str, at: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "tenant_id": "t1",
        "event_type": event_type,
        "occurred_at": at,
        "schema_version": 1,
        **fields,
    }


def run(
    events: Sequence[Mapping[str, Any]],
    counters: dict[str, list[int]] | None = None,
    conversations: dict[str, ConversationState] | None = None,
    first_offset: int = 0,
    tz: str = "America/New_York",
) -> BatchOutput:
    accepted = [
        (e, SourceRecord("p.events.conversations", 0, first_offset + i, T0))
        for i, e in enumerate(events)
    ]
    return process_batch(accepted, lambda _t: tz, counters or {}, conversations or {})


def run_in_batches(
    events: Sequence[Mapping[str, Any]], size: int
) -> tuple[dict[str, list[int]], dict[str, ConversationState], list[dict[str, Any]]]:
    """Feeds events batch by batch, writing the state back as the agent does."""
    counters: dict[str, list[int]] = {}
    conversations: dict[str, ConversationState] = {}
    frt_rows: list[dict[str, Any]] = []
    for start in range(0, len(events), size):
        out = run(events[start : start + size], counters, conversations, first_offset=start)
        counters.update(out.counters)
        conversations.update(out.conversations)
        frt_rows += out.rows.get("conversation_frt", [])
    return counters, conversations, frt_rows


def test_raw_row_anonymizes_ip_and_drops_visitor_under_dnt() -> None:
    """A dnt web event keeps counting but stores no visitor and only a truncated IP."""
    e = event("web.page_view", T0, visitor_id="v1", ip="203.0.113.77", dnt=True, url="/a")
    (row,) = run([e]).rows["events_raw"]
    assert "visitor_id" not in row  # the sink stores the column default, ""
    assert row["ip"] == "203.0.113.0"
    assert row["url"] == "/a" and "referrer" not in row and "score" not in row
    assert row["source_offset"] == 0 and row["ingested_at"] == T0


def test_ip_anonymization_of_both_families() -> None:
    """IPv4 loses its last octet, IPv6 its last 80 bits, garbage is not stored."""
    assert anonymize_ip("192.168.1.254") == "192.168.1.0"
    assert anonymize_ip("2001:db8:85a3:1234:5678:8a2e:370:7334") == "2001:db8:85a3::"
    assert anonymize_ip("not an ip") == ""


def test_counters_fan_out_to_four_granularities_versioned_by_events_folded() -> None:
    """Messages update hour, day, week and month slices, versioned by how many they hold."""
    sent = event("message.sent", T0 + 5 * 3_600_000, channel="whatsapp")
    read = event("message.read", T0 + 5 * 3_600_000 + 1, channel="whatsapp")
    out = run([sent, read], first_offset=41)
    rows = out.rows["messaging_counters"]
    assert sorted(r["granularity"] for r in rows) == ["day", "hour", "month", "week"]
    assert all(r["sent"] == 1 and r["read"] == 1 and r["version"] == 2 for r in rows)
    assert all(r["slice"] == "p.events.conversations:0" for r in rows)


messaging = st.sampled_from([f"message.{n}" for n in COUNTER_FIELDS] + ["conversation.created"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(messaging, st.integers(0, 40 * 24 * 60), st.sampled_from(["sms", "email"])),
        max_size=60,
    ),
    st.integers(1, 25),
)
def test_counters_equal_a_plain_recount(specs: list[tuple[str, int, str]], batch_size: int) -> None:
    """Folding events batch by batch gives the same totals as counting them in one go."""
    events = [event(t, T0 + m * MIN, channel=c) for t, m, c in specs]
    counters, _, _ = run_in_batches(events, batch_size)
    expected: Counter[tuple[str, int, str, str]] = Counter()
    for e in events:
        if e["event_type"].startswith("message."):
            for g, (start, _end) in all_bucket_bounds(e["occurred_at"], "America/New_York").items():
                expected[(g, start, e["channel"], e["event_type"][8:])] += 1
    got: Counter[tuple[str, int, str, str]] = Counter()
    for key, state in counters.items():
        _tenant, granularity, bucket, channel, _slice = json.loads(key)
        for name, n in zip(COUNTER_FIELDS, state, strict=False):
            if n:
                got[(granularity, bucket, channel, name)] += n
    assert got == expected


def conversation(
    created: int, replies: Sequence[tuple[int, str]], extra_created: int | None
) -> list[dict[str, Any]]:
    events = [
        event("conversation.created", created, conversation_id="c1", channel="sms", priority="high")
    ]
    if extra_created is not None:
        events.append(
            event("conversation.created", extra_created, conversation_id="c1", channel="email")
        )
    for at, sender in replies:
        events.append(
            event(
                "message.sent",
                at,
                conversation_id="c1",
                channel="sms",
                sender_type=sender,
                message_id=str(uuid.uuid4()),
            )
        )
    events.append(event("message.received", created + 1, conversation_id="c1", channel="sms"))
    return events


def final_frt(events: Sequence[Mapping[str, Any]], batch_size: int) -> tuple[Any, ...] | None:
    _, _, rows = run_in_batches(events, batch_size)
    if not rows:
        return None
    last = rows[-1]
    return tuple(
        last[k]
        for k in (
            "channel",
            "priority",
            "created_at",
            "first_reply_at",
            "frt_ms",
            "hour_start",
            "day_start",
        )
    )


def test_frt_is_first_agent_reply_at_or_after_creation() -> None:
    """Bot replies and agent replies before creation do not count; the first agent one does."""
    created = T0 + 60 * MIN
    events = conversation(
        created,
        [
            (created - MIN, "agent"),
            (created + MIN, "bot"),
            (created + 5 * MIN, "agent"),
            (created + 9 * MIN, "agent"),
        ],
        None,
    )
    assert final_frt(events, 100) == (
        "sms",
        "high",
        created,
        created + 5 * MIN,
        5 * MIN,
        *(all_bucket_bounds(created + 5 * MIN, "America/New_York")[g][0] for g in ("hour", "day")),
    )


def test_reply_before_created_event_arrives_is_kept() -> None:
    """A reply that arrives before its conversation.created still becomes the FRT."""
    created = T0 + 60 * MIN
    events = conversation(created, [(created + 3 * MIN, "agent")], None)
    reordered = events[1:] + events[:1]
    assert final_frt(reordered, 1) == final_frt(events, 1)
    assert final_frt(reordered, 1) is not None


def test_unchanged_frt_emits_no_new_row() -> None:
    """A later agent reply does not change a conversation's FRT, so no row is emitted for it."""
    created = T0
    first = conversation(created, [(created + MIN, "agent")], None)
    _, conversations, rows = run_in_batches(first, 100)
    later = [event("message.sent", created + 9 * MIN, conversation_id="c1", sender_type="agent")]
    out = run(later, conversations=conversations, first_offset=100)
    assert len(rows) == 1 and "conversation_frt" not in out.rows
    assert out.conversations  # the state still moved (its version)


@settings(max_examples=80, deadline=None)
@given(
    created=st.integers(0, 500),
    replies=st.lists(
        st.tuples(st.integers(0, 1000), st.sampled_from(["agent", "bot", "system"])), max_size=8
    ),
    extra=st.none() | st.integers(0, 1000),
    data=st.data(),
)
def test_frt_is_independent_of_arrival_order(
    created: int, replies: list[tuple[int, str]], extra: int | None, data: st.DataObject
) -> None:
    """Any permutation and batching of a conversation's events gives the same final FRT row."""
    events = conversation(
        T0 + created * MIN,
        [(T0 + r * MIN, s) for r, s in replies],
        None if extra is None else T0 + extra * MIN,
    )
    shuffled = data.draw(st.permutations(events))
    batch = data.draw(st.integers(1, len(events)))
    assert final_frt(shuffled, batch) == final_frt(events, len(events))
