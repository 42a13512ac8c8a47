"""``outreach_days``: the derivation's keys, refresh and verification, and rankings over ranges
whose edges cut UTC days (their partial days read from the slots)."""

from __future__ import annotations

import pytest

from pulse.families.messaging.derived import MESSAGING_SLOTS
from pulse.families.outreach.days import OUTREACH_DAYS
from pulse.families.outreach.id_totals import ranked_by_id
from pulse.families.outreach.ranking import Ranking
from pulse.sinks.clickhouse import ClickHouse
from tests.families import outreach_oracle as oracle
from tests.families.outreach_events import COLUMNS, DATASET, messages, ms, store

pytestmark = pytest.mark.clickhouse

DAY = 86_400_000


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-10-19T18:30:00Z", "2026-10-23T05:15:00Z"),  # Kolkata / quarter-hour edges
        ("2026-10-20T04:00:00Z", "2026-10-24T04:00:00Z"),  # New York days
        ("2026-10-20T09:00:00Z", "2026-10-20T09:15:00Z"),  # one slot, no whole day
        ("2026-10-21T00:00:00Z", "2026-10-22T00:00:00Z"),  # one whole UTC day
        ("2026-10-20T04:00:00Z", "2026-10-23T00:00:00Z"),  # an edge at the start only
        ("2026-10-21T00:00:00Z", "2026-10-23T05:15:00Z"),  # an edge at the end only
    ],
)
@pytest.mark.parametrize("column", ["campaign_id", "template_id"])
def test_ranges_cutting_days_count_each_event_once(
    db: ClickHouse, start: str, end: str, column: str
) -> None:
    """Whole days from the day rows plus partial edge days from the slots equal the events."""
    store(db, DATASET)
    every = Ranking("sent", worst=False, limit=1000)
    found = ranked_by_id(db, column, every, "acme", ms(start), ms(end), None)  # type: ignore[arg-type]
    assert {i: vars(c) for i, c in found} == oracle.counts_by(
        DATASET, column, "acme", ms(start), ms(end)
    )


def test_keys_are_the_utc_days_of_message_events(db: ClickHouse) -> None:
    """touched and keys_in name (tenant, UTC day) of message events only."""
    rows = [*messages("sent", 2, "2026-10-20T23:59:59Z", campaign_id="c"), *DATASET[-3:]]
    raw = {c: [r[c] for r in rows] for c in COLUMNS}
    assert OUTREACH_DAYS.touched(raw) == {
        ("acme", ms("2026-10-20T00:00:00Z")),
        ("acme", ms("2026-10-21T00:00:00Z")),
    }
    store(db, DATASET)
    keys = [k for chunk in OUTREACH_DAYS.keys_in(db, "acme", None, None) for k in chunk]
    expected = {
        ("acme", e["occurred_at"] // DAY * DAY)
        for e in DATASET
        if e["tenant_id"] == "acme" and e["event_type"].startswith("message.")
    }
    assert set(keys) == expected


def test_refresh_is_repeatable_and_verifies_clean(db: ClickHouse) -> None:
    """Refreshing again writes the same rows; differences finds none after, one count before."""
    store(db, DATASET)
    keys = [k for chunk in OUTREACH_DAYS.keys_in(db, None, None, None) for k in chunk]
    first = OUTREACH_DAYS.refresh(db, keys)
    assert OUTREACH_DAYS.refresh(db, keys) == first > 0
    assert OUTREACH_DAYS.differences(db, keys) == []
    late = messages(
        "read",
        1,
        "2026-10-20T10:00:00Z",
        channel="email",
        campaign_id="c-spring",
        template_id="t-welcome",
    )
    db.insert("events_raw", late, COLUMNS)
    MESSAGING_SLOTS.refresh(db, MESSAGING_SLOTS.touched({c: [r[c] for r in late] for c in COLUMNS}))
    found = OUTREACH_DAYS.differences(db, keys)
    assert [(d.key[2], d.column, d.stored, d.recomputed) for d in found] == [
        ("c-spring", "read", 4, 5)
    ]
