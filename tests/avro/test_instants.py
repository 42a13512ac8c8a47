"""Instant bounds: floor and future skew, the same at every edge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.avro.codec import EventEncoder
from pulse.avro.errors import ContractError
from pulse.avro.instants import FromFutureError, InstantBounds, TooOldError
from pulse.avro.producer import EventProducer
from pulse.avro.schemas import SchemaCatalog
from pulse.errors import ConfigError
from pulse.settings import ContractSettings, KafkaSettings

NOW = int(datetime(2026, 11, 30, 12, tzinfo=UTC).timestamp() * 1000)
FLOOR = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1000)
DAY = 86_400_000
BOUNDS = InstantBounds.from_settings(ContractSettings())


@given(st.integers(FLOOR, NOW + DAY))
def test_instants_within_the_bounds_pass(instant: int) -> None:
    """Any instant from the floor to now plus one day is accepted."""
    BOUNDS.check("occurred_at", instant, NOW)


@given(st.integers(NOW + DAY + 1, 2**63 - 1))
def test_later_instants_are_from_the_future(instant: int) -> None:
    """Past now plus the skew (µs, ns, year 2350) is a from_future refusal naming the field."""
    with pytest.raises(FromFutureError) as caught:
        BOUNDS.check("occurred_at", instant, NOW)
    assert caught.value.code == "from_future"
    assert caught.value.field == "occurred_at"


@given(st.integers(-(2**63), FLOOR - 1))
def test_earlier_instants_are_too_old(instant: int) -> None:
    """Before the floor (negative epochs included) is a too_old refusal."""
    with pytest.raises(TooOldError) as caught:
        BOUNDS.check("occurred_at", instant, NOW)
    assert caught.value.code == "too_old"


def test_microseconds_are_named_as_the_likely_mistake() -> None:
    """A millisecond clock times 1000 is refused with a hint about the unit."""
    with pytest.raises(FromFutureError, match="microseconds or nanoseconds"):
        BOUNDS.check("occurred_at", NOW * 1000, NOW)


@pytest.mark.parametrize(
    ("floor", "skew"),
    [("2000-01-01", 60), ("1800-01-01T00:00:00Z", 60), ("2000-01-01T00:00:00Z", -1)],
)
def test_bad_bound_settings_are_config_errors(floor: str, skew: int) -> None:
    """A floor that is no instant or precedes ClickHouse's range, or a negative skew, is refused."""
    with pytest.raises(ConfigError):
        InstantBounds.from_settings(ContractSettings(floor=floor, future_skew_seconds=skew))


def test_settings_move_the_bounds() -> None:
    """A raised floor and a wider skew change what passes."""
    bounds = InstantBounds.from_settings(
        ContractSettings(floor="2020-01-01T00:00:00+00:00", future_skew_seconds=7 * 86400)
    )
    bounds.check("occurred_at", NOW + 6 * DAY, NOW)
    with pytest.raises(TooOldError):
        bounds.check("occurred_at", FLOOR + DAY, NOW)


def sent(occurred_at: int) -> dict[str, Any]:
    return {
        "event_id": "6f1c1c52-5d4b-4c1e-8d8e-0c0c6c7a9a11",
        "tenant_id": "acme",
        "event_type": "message.sent",
        "occurred_at": occurred_at,
        "schema_version": 1,
        "attributes": {},
        "tags": [],
        "message_id": "m-1",
        "channel": "sms",
        "direction": "outbound",
        "sender_type": "agent",
    }


@pytest.mark.parametrize("occurred_at", [NOW * 1000, -1, 12_000_000_000_000])
def test_the_producer_sdk_refuses_out_of_bounds_instants(occurred_at: int) -> None:
    """EventProducer.publish raises a ContractError before anything is queued."""
    producer = EventProducer(
        KafkaSettings(bootstrap_servers="127.0.0.1:1"), EventEncoder(SchemaCatalog())
    )
    with pytest.raises(ContractError) as caught:
        producer.publish(sent(occurred_at))
    assert caught.value.code in {"too_old", "from_future"}
