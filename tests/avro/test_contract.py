"""The METRICS.md §4 validity rules, as the schema-driven contract applies them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulse.avro.contract import check_complete, check_decoded, validate
from pulse.avro.errors import AvroError, ContractError
from pulse.errors import PulseError
from tests.avro.strategies import ALL_VERSIONS, as_json, as_latest, events

EVENT_ID = "7e57d004-2b97-4e7a-b45f-5387367791cd"


def _message(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": EVENT_ID,
        "tenant_id": "acme",
        "event_type": "message.sent",
        "occurred_at": "2026-11-01T01:30:00.123-04:00",
        "message_id": "m-1",
        "channel": "whatsapp",
        "direction": "outbound",
        "sender_type": "agent",
    }
    return {**base, **overrides}


def _csat(**overrides: Any) -> dict[str, Any]:
    base = _message(event_type="csat.submitted", conversation_id="c-1", score=4)
    for name in ("message_id", "direction", "sender_type", "channel"):
        del base[name]
    return {**base, **overrides}


def _conversation(**overrides: Any) -> dict[str, Any]:
    return _csat(event_type="conversation.created", score=None, channel="email", **overrides)


def _web(**overrides: Any) -> dict[str, Any]:
    return _csat(event_type="web.page_view", score=None, visitor_id="v-1", **overrides)


BROKEN = [
    # (event, field, reason)
    (_csat(score="5"), "score", "wrong_type"),
    (_csat(score=4.5), "score", "wrong_type"),
    (_csat(score=4.0), "score", "wrong_type"),
    (_csat(score=True), "score", "wrong_type"),
    (_csat(score=0), "score", "out_of_range"),
    (_csat(score=6), "score", "out_of_range"),
    (_csat(score=None), "score", "missing"),
    (_web(dnt="true"), "dnt", "wrong_type"),
    (_web(dnt=1), "dnt", "wrong_type"),
    (_message(sequence_step=True), "sequence_step", "wrong_type"),
    (_message(sequence_step=2**31), "sequence_step", "out_of_range"),
    (_message(direction="sideways"), "direction", "not_in_enum"),
    (_message(direction="Outbound"), "direction", "not_in_enum"),
    (_message(sender_type="human"), "sender_type", "not_in_enum"),
    (_message(sender_type=1), "sender_type", "wrong_type"),
    (_conversation(priority="critical"), "priority", "not_in_enum"),
    (_message(channel=""), "channel", "empty"),
    (_csat(channel=""), "channel", "empty"),
    (_message(tenant_id=""), "tenant_id", "empty"),
    (_message(tenant_id=7), "tenant_id", "wrong_type"),
    (_message(message_id=None), "message_id", "missing"),
    (_message(event_id="not-a-uuid"), "event_id", "bad_uuid"),
    (_message(event_id="7e57d0042b974e7ab45f5387367791cd"), "event_id", "bad_uuid"),
    (_message(event_id=None), "event_id", "missing"),
    (_message(event_type="message.Sent"), "event_type", "unknown_event_type"),
    (_message(event_type="MESSAGE.SENT"), "event_type", "unknown_event_type"),
    (_message(event_type="message.bounced"), "event_type", "unknown_event_type"),
    (_message(event_type=None), "event_type", "missing"),
    (_message(event_type=3), "event_type", "wrong_type"),
    (_message(schema_version="1"), "schema_version", "wrong_type"),
    (_message(schema_version=3), "schema_version", "unknown_version"),
    (_message(attributes={"a": 1}), "attributes", "wrong_type"),
    (_message(attributes=["a"]), "attributes", "wrong_type"),
    (_message(tags="a,b"), "tags", "wrong_type"),
    (_message(tags=["a", 1]), "tags", "wrong_type"),
    (_message(agent_id=5), "agent_id", "wrong_type"),
    (_message(agent_id="\ud800"), "agent_id", "bad_string"),
    (_message(occurred_at=1_700_000_000_000), "occurred_at", "wrong_type"),
    (_message(occurred_at="2026-11-01T01:30:00"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01 01:30:00Z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01T01:30:00.1234567Z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01T01:30:00.Z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01T01:30:00+0400"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01T01:30:00+04"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-02-30T01:30:00Z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01T24:00:00Z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01T01:30:60Z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01T01:30:00+24:00"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01t01:30:00z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="20261101T013000Z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="202\uff16-11-01T01:30:00Z"), "occurred_at", "bad_timestamp"),
    (_message(occurred_at="2026-11-01T01:30:00Z\n"), "occurred_at", "bad_timestamp"),
]


@pytest.mark.parametrize(("event", "field", "reason"), BROKEN)
def test_broken_rule_names_field_and_reason(event: dict[str, Any], field: str, reason: str) -> None:
    """Each broken §4 rule raises ContractError naming the field and the reason."""
    with pytest.raises(ContractError) as caught:
        validate(event)
    assert (caught.value.field, caught.value.reason) == (field, reason)
    assert caught.value.as_dict()["code"] == "contract_error"


def test_error_family() -> None:
    """ContractError belongs to the avro family, itself under the project's root error."""
    assert issubclass(ContractError, AvroError) and issubclass(AvroError, PulseError)


def test_not_an_object() -> None:
    """A JSON array or string is not an event."""
    with pytest.raises(ContractError) as caught:
        validate(["not", "an", "object"])  # type: ignore[arg-type]
    assert caught.value.reason == "not_an_object"


@pytest.mark.parametrize(
    ("written", "ms"),
    [
        ("2026-11-01T01:30:00Z", 1_793_496_600_000),
        ("2026-11-01T01:30:00.123-04:00", 1_793_511_000_123),
        ("2026-11-01T01:30:00.123999+00:00", 1_793_496_600_123),
        ("2026-11-01T01:30:00.1Z", 1_793_496_600_100),
        ("2026-11-01T01:30:00.000001Z", 1_793_496_600_000),
        ("1969-12-31T23:59:59.9995Z", -1),
        ("2026-11-01T07:00:00+05:30", 1_793_496_600_000),
    ],
)
def test_timestamps_become_utc_ms(written: str, ms: int) -> None:
    """Offsets only fix the instant; 0..6 fractional digits are accepted, sub-ms truncated."""
    assert validate(_message(occurred_at=written))["occurred_at"] == ms


def test_logical_form_defaults_and_drops() -> None:
    """Null optionals equal absent ones, extras are dropped, defaults fill the common fields."""
    with_nulls = validate(_message(agent_id=None, attributes=None, tags=None, surprise="x"))
    without = validate(_message())
    assert with_nulls == without
    assert "surprise" not in without
    assert (without["schema_version"], without["attributes"], without["tags"]) == (1, {}, [])
    assert without["agent_id"] is None and without["reply_to_message_id"] is None


def test_priority_absent_is_none_and_listed_values_pass() -> None:
    """Priority is optional (absent means normal downstream) and takes only its four values."""
    assert validate(_conversation())["priority"] is None
    for value in ("low", "normal", "high", "urgent"):
        assert validate(_conversation(priority=value))["priority"] == value


def test_uuid_is_normalised_to_lower_case() -> None:
    """An upper-case UUID is the same idempotency key as its lower-case spelling."""
    assert validate(_message(event_id=EVENT_ID.upper()))["event_id"] == EVENT_ID


def test_declared_version_picks_the_rules() -> None:
    """A v2-only field is read only when the event declares v2."""
    v1 = validate(_message(reply_to_message_id="m-0"))
    v2 = validate(_message(reply_to_message_id="m-0", schema_version=2))
    assert (v1["reply_to_message_id"], v2["reply_to_message_id"]) == (None, "m-0")


@pytest.mark.parametrize("check_decoded", [check_decoded, check_complete])
def test_check_decoded_rules(check_decoded: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Decoded records get the rules Avro cannot express: UUID, range, non-empty, known type
    (check_complete, for records with the whole field set, applies the same rules)."""
    good = validate(_csat())
    assert check_decoded(dict(good)) == good
    for field, value, reason in [
        ("event_id", "nope", "bad_uuid"),
        ("score", 0, "out_of_range"),
        ("tenant_id", "", "empty"),
        ("conversation_id", None, "missing"),
        ("event_type", "csat.Submitted", "unknown_event_type"),
    ]:
        with pytest.raises(ContractError) as caught:
            check_decoded({**good, field: value})
        assert (caught.value.field, caught.value.reason) == (field, reason)


def test_check_complete_falls_back_to_filling_when_a_checked_field_is_absent() -> None:
    """A record without a field the rules read is filled and checked like check_decoded's."""
    good = validate(_csat())
    partial = {k: v for k, v in good.items() if k != "conversation_id"}
    with pytest.raises(ContractError) as caught:
        check_complete(partial)
    assert (caught.value.field, caught.value.reason) == ("conversation_id", "missing")


def test_check_decoded_fills_absent_optionals() -> None:
    """A record missing optional fields (extra ones or not) gets them as None or defaults."""
    good = validate(_csat(agent_id="a-1"))
    partial = {k: v for k, v in good.items() if k not in ("agent_id", "tags")}
    assert check_decoded({**partial, "extra": 1}) == {**good, "agent_id": None, "extra": 1}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ALL_VERSIONS).flatmap(events),
    st.integers(-14 * 60, 14 * 60),
)
def test_valid_events_pass_whatever_the_offset(event: dict[str, Any], offset: int) -> None:
    """Any schema-valid event, written at any UTC offset, validates to its logical form."""
    assert validate(as_json(event, offset)) == as_latest(event)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


FIELD_NAMES = sorted({f["name"] for v in ALL_VERSIONS for f in v.raw["fields"]})


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ALL_VERSIONS).flatmap(events),
    st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(), JSON, max_size=4),
)
def test_arbitrary_json_only_raises_contract_error(
    event: dict[str, Any], noise: dict[str, Any]
) -> None:
    """An event with fields overwritten by any JSON validates or raises ContractError."""
    try:
        validate({**as_json(event, 0), **noise})
    except ContractError as exc:
        assert exc.reason
