"""Events are routed to their family's topic and keyed by tenant and entity, from topics.toml."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.topics.declarations import default_declarations
from pulse.topics.errors import RoutingError
from pulse.topics.routing import key_for, topic_for

CONVERSATION_TYPES = default_declarations().get("events.conversations").event_types
ids = st.text(min_size=1, max_size=20)


@pytest.mark.parametrize(
    ("event_type", "topic"),
    [
        ("message.sent", "events.conversations"),
        ("conversation.reopened", "events.conversations"),
        ("csat.submitted", "events.conversations"),
        ("campaign.started", "events.outreach"),
        ("workflow.goal_reached", "events.outreach"),
        ("sequence.step_executed", "events.outreach"),
        ("automation.failed", "events.outreach"),
        ("web.page_view", "events.web"),
        ("contact.created", "events.contacts"),
    ],
)
def test_each_family_goes_to_its_topic(event_type: str, topic: str) -> None:
    """topic_for maps an event type to the short name of its domain topic."""
    assert topic_for(event_type) == topic


@pytest.mark.parametrize(
    ("event", "key"),
    [
        ({"event_type": "message.sent", "conversation_id": "c1", "message_id": "m1"}, b"t:c1"),
        ({"event_type": "message.sent", "conversation_id": None, "message_id": "m1"}, b"t:m1"),
        ({"event_type": "message.read", "conversation_id": "", "message_id": "m1"}, b"t:m1"),
        ({"event_type": "csat.submitted", "conversation_id": "c1"}, b"t:c1"),
        ({"event_type": "campaign.started", "campaign_id": "k1"}, b"t:k1"),
        ({"event_type": "workflow.run_failed", "workflow_id": "w", "run_id": "r1"}, b"t:r1"),
        ({"event_type": "sequence.replied", "sequence_id": "s", "enrollment_id": "e1"}, b"t:e1"),
        ({"event_type": "automation.executed", "flow_id": "f1"}, b"t:f1"),
        ({"event_type": "web.event", "visitor_id": "v1", "session_id": "s"}, b"t:v1"),
        ({"event_type": "contact.created", "contact_id": "p1"}, b"t:p1"),
    ],
)
def test_key_is_tenant_and_entity(event: dict[str, Any], key: bytes) -> None:
    """key_for is tenant_id:<first key field present> of the event's topic."""
    assert key_for({"tenant_id": "t", **event}) == key


def test_unknown_event_type_is_refused() -> None:
    """An event type no topic declares raises a RoutingError naming event_type."""
    with pytest.raises(RoutingError) as caught:
        topic_for("message.Sent")
    assert caught.value.fields["field"] == "event_type"
    with pytest.raises(RoutingError):
        key_for({"tenant_id": "t", "event_type": "nope", "contact_id": "p"})


def test_event_without_any_key_field_is_refused() -> None:
    """An event carrying none of its topic's key fields cannot be keyed."""
    with pytest.raises(RoutingError) as caught:
        key_for({"tenant_id": "t", "event_type": "web.page_view", "visitor_id": None})
    assert caught.value.fields["field"] == "visitor_id"
    with pytest.raises(RoutingError):
        key_for({"event_type": "contact.created", "contact_id": "p"})


@given(
    tenant=ids,
    conversation=ids,
    events=st.lists(
        st.tuples(st.sampled_from(CONVERSATION_TYPES), st.none() | ids), min_size=1, max_size=20
    ),
)
def test_all_events_of_one_conversation_share_a_key(
    tenant: str, conversation: str, events: list[tuple[str, str | None]]
) -> None:
    """Whatever its type and message id, every event of a conversation gets one key."""
    keys = {
        key_for(
            {
                "tenant_id": tenant,
                "event_type": event_type,
                "conversation_id": conversation,
                "message_id": message,
            }
        )
        for event_type, message in events
    }
    assert keys == {f"{tenant}:{conversation}".encode()}


@given(tenants=st.lists(ids, min_size=2, max_size=2, unique=True), entity=ids)
def test_same_entity_in_two_tenants_gets_two_keys(tenants: list[str], entity: str) -> None:
    """The tenant is part of the key, so two tenants' entities never collide by id alone."""
    a, b = (
        key_for({"tenant_id": t, "event_type": "web.event", "visitor_id": entity}) for t in tenants
    )
    assert a != b
