"""Traffic by local hour and weekday, and peak hours, computed by ClickHouse from the slots,
against a recomputation of the stored events with zoneinfo."""

from __future__ import annotations

import pytest

from pulse.families.outreach.traffic import Traffic, TrafficQuery, traffic
from pulse.sinks.clickhouse import ClickHouse
from tests.families import outreach_oracle as oracle
from tests.families.outreach_events import DATASET, messages, ms, store

pytestmark = pytest.mark.clickhouse

# Europe/Lisbon falls back on 2026-10-25: 00:10Z is 01:10+01:00 and 01:10Z is 01:10+00:00.
FALL_BACK = [
    *messages("sent", 2, "2026-10-25T00:10:00Z", channel="email"),
    *messages("received", 3, "2026-10-25T01:10:00Z", channel="whatsapp"),
    *messages("delivered", 9, "2026-10-25T01:20:00Z", channel="email"),
    # +05:30: 18:40Z is 00:10 of the next local day in Kolkata, 18:20Z is still 23:50.
    *messages("sent", 2, "2026-10-20T18:40:00Z", channel="sms"),
    *messages("sent", 1, "2026-10-20T18:20:00Z", channel="sms"),
]
EVENTS = DATASET + FALL_BACK


def _ask(db: ClickHouse, zone: str, start: str, end: str, channel: str | None = None) -> None:
    found = traffic(db, TrafficQuery("acme", ms(start), ms(end), zone, channel))
    hours, days, peaks = oracle.traffic(EVENTS, "acme", ms(start), ms(end), zone, channel)
    assert list(found.by_hour) == hours
    assert list(found.by_weekday) == days
    assert found.peak_hours() == peaks


@pytest.mark.parametrize("zone", ["UTC", "Europe/Lisbon", "Asia/Kolkata", "America/Sao_Paulo"])
@pytest.mark.parametrize("channel", [None, "sms"])
def test_traffic_by_local_hour_and_weekday(db: ClickHouse, zone: str, channel: str | None) -> None:
    """Hours and weekdays follow the zone's clock (+05:30 included), peaks the busiest hours."""
    store(db, EVENTS)
    _ask(db, zone, "2026-10-18T00:00:00Z", "2026-10-27T00:00:00Z", channel)


def test_both_fall_back_one_oclock_hours_add_to_hour_one(db: ClickHouse) -> None:
    """On Lisbon's fall-back day both local 01:00 hours count under hour 1 (sent + received)."""
    store(db, EVENTS)
    found = traffic(
        db,
        TrafficQuery(
            "acme", ms("2026-10-24T23:00:00Z"), ms("2026-10-26T00:00:00Z"), "Europe/Lisbon"
        ),
    )
    assert found.by_hour[1] == 5
    assert found.by_weekday[6] == 5
    assert found.peak_hours() == [1]


def test_peak_hours_ties_go_to_the_earlier_hour() -> None:
    """Three peaks at most, equal counts ordered by hour, silent hours never listed."""
    hours = [0] * 24
    hours[5], hours[3], hours[20], hours[22] = 4, 4, 4, 7
    assert Traffic(tuple(hours), (0,) * 7).peak_hours() == [22, 3, 5]
    hours = [0] * 24
    hours[9] = 1
    assert Traffic(tuple(hours), (0,) * 7).peak_hours() == [9]


def test_empty_range_has_24_silent_hours_and_7_days(db: ClickHouse) -> None:
    """No traffic: 24 zero hours, 7 zero days, no peak hour."""
    store(db, EVENTS)
    found = traffic(
        db, TrafficQuery("acme", ms("2026-11-01T00:00:00Z"), ms("2026-11-02T00:00:00Z"), "UTC")
    )
    assert found.by_hour == (0,) * 24
    assert found.by_weekday == (0,) * 7
    assert found.peak_hours() == []
