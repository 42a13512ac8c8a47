"""Campaign and template figures computed by ClickHouse (``messaging_slots`` and the
``campaign.*`` events) against an independent recomputation of the stored events."""

from __future__ import annotations

import pytest

from pulse.families.outreach import ranking
from pulse.families.outreach.campaign_events import campaign_counts, campaign_names
from pulse.families.outreach.id_totals import totals_by_id
from pulse.sinks.clickhouse import ClickHouse
from tests.families import outreach_oracle as oracle
from tests.families.outreach_events import DATASET, ms, store

pytestmark = pytest.mark.clickhouse

FROM, TO = ms("2026-10-19T00:00:00Z"), ms("2026-10-26T00:00:00Z")


def _as_dicts(per_id: dict[str, object]) -> dict[str, dict[str, int]]:
    return {i: vars(c) for i, c in per_id.items()}


@pytest.mark.parametrize("tenant", ["acme", "globex"])
@pytest.mark.parametrize("channel", [None, "email", "sms"])
def test_campaign_totals_match_the_events_of_the_tenant(
    db: ClickHouse, tenant: str, channel: str | None
) -> None:
    """Per campaign: the counts of the tenant's own events (a shared id never mixes), by channel."""
    store(db, DATASET)
    found = totals_by_id(db, "campaign_id", tenant, FROM, TO, channel)
    expected = oracle.counts_by(DATASET, "campaign_id", tenant, FROM, TO, channel)
    assert _as_dicts(found) == expected
    assert "" not in found


def test_template_totals_span_the_campaigns_sharing_them(db: ClickHouse) -> None:
    """A template's counts add the messages of every campaign that used it."""
    store(db, DATASET)
    found = _as_dicts(totals_by_id(db, "template_id", "acme", FROM, TO, None))
    assert found == oracle.counts_by(DATASET, "template_id", "acme", FROM, TO)
    assert found["t-welcome"]["sent"] == 15


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("rate_name", ["deliveryRate", "readRate", "clickRate", "failureRate"])
def test_rankings_leave_null_rates_out_and_break_ties_by_id(
    db: ClickHouse, largest: bool, rate_name: str
) -> None:
    """Top and worst by each rate: null rates left out, equal rates ordered by id ascending."""
    store(db, DATASET)
    per_id = totals_by_id(db, "campaign_id", "acme", FROM, TO, None)
    rows = _as_dicts(per_id)
    rank = ranking.top if largest else ranking.worst
    found = rank(rows, lambda i: oracle.rates(rows[i])[rate_name], lambda i: i, 10)
    expected = oracle.ranked(rows, lambda c: oracle.rates(c)[rate_name], 10, largest)
    assert found == expected


def test_read_rate_ranking_of_the_dataset() -> None:
    """By read rate, the tie at 50.0 goes to c-spring, SMS ranks at 0.0, push (null) is absent."""
    rows = oracle.counts_by(DATASET, "campaign_id", "acme", FROM, TO)
    found = ranking.top(rows, lambda i: oracle.rates(rows[i])["readRate"], lambda i: i, 10)
    assert found == ["c-spring", "c-tie", "c-sms"]
    worst = ranking.worst(rows, lambda i: oracle.rates(rows[i])["readRate"], lambda i: i, 2)
    assert worst == ["c-sms", "c-spring"]


def test_rank_limit_cuts_the_list() -> None:
    """A limit keeps the first rows of the order; a zero or negative one keeps none."""
    rows = {"b": 1.0, "a": 1.0, "c": 3.0}
    assert ranking.top(rows, rows.get, lambda i: i, 2) == ["c", "a"]
    assert ranking.worst(rows, rows.get, lambda i: i, 0) == []


@pytest.mark.parametrize("channel", [None, "sms", "push"])
def test_campaigns_started_and_completed_are_distinct_ids_in_range(
    db: ClickHouse, channel: str | None
) -> None:
    """Started/completed count distinct campaign ids whose event is in range (and channel)."""
    store(db, DATASET)
    for tenant in ("acme", "globex"):
        found = campaign_counts(db, tenant, FROM, TO, channel)
        expected = oracle.started_completed(DATASET, tenant, FROM, TO, channel)
        assert (found.started, found.completed) == expected


def test_campaign_name_is_the_latest_named_start_of_the_tenant(db: ClickHouse) -> None:
    """A name comes from the latest named campaign.started before the end; an unnamed start or
    another tenant's start never changes it."""
    store(db, DATASET)
    ids = ["c-spring", "c-sms", "c-push", "c-tie"]
    found = campaign_names(db, "acme", ids, TO)
    expected = {i: n for i in ids if (n := oracle.name_of(DATASET, "acme", i, TO)) is not None}
    assert found == expected == {"c-spring": "Spring Sale", "c-sms": "SMS blast"}
    early = ms("2026-10-10T00:00:00Z")
    assert campaign_names(db, "acme", ["c-spring"], early) == {"c-spring": "Spring"}
    assert campaign_names(db, "globex", ["c-spring"], TO) == {"c-spring": "Globex Spring"}


def test_empty_range_has_no_campaigns(db: ClickHouse) -> None:
    """A range without events: no campaign rows, nothing started or completed."""
    store(db, DATASET)
    empty_from, empty_to = ms("2026-11-01T00:00:00Z"), ms("2026-11-08T00:00:00Z")
    assert totals_by_id(db, "campaign_id", "acme", empty_from, empty_to, None) == {}
    counts = campaign_counts(db, "acme", empty_from, empty_to, None)
    assert (counts.started, counts.completed) == (0, 0)
