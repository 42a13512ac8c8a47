"""Campaign and template figures computed by ClickHouse (``messaging_slots`` and the
``campaign.*`` events) against an independent recomputation of the stored events."""

from __future__ import annotations

from typing import Any

import pytest

from pulse.families.outreach.campaign_events import campaign_counts, campaign_names
from pulse.families.outreach.campaigns_graphql import RATE_COUNTS, RATES, CampaignRate
from pulse.families.outreach.id_totals import ranked_by_id
from pulse.families.outreach.ranking import Ranking
from pulse.families.published_sql import rate_sql
from pulse.sinks.clickhouse import ClickHouse
from tests.families import outreach_oracle as oracle
from tests.families.outreach_events import DATASET, ms, store

pytestmark = pytest.mark.clickhouse

FROM, TO = ms("2026-10-19T00:00:00Z"), ms("2026-10-26T00:00:00Z")


ALL = Ranking("sent", worst=False, limit=1000)  # every id: no row has a null usage


def totals(db: ClickHouse, column: str, tenant: str, channel: str | None = None) -> dict[str, Any]:
    rows = ranked_by_id(db, column, ALL, tenant, FROM, TO, channel)  # type: ignore[arg-type]
    return {i: vars(c) for i, c in rows}


@pytest.mark.parametrize("tenant", ["acme", "globex"])
@pytest.mark.parametrize("channel", [None, "email", "sms"])
def test_campaign_totals_match_the_events_of_the_tenant(
    db: ClickHouse, tenant: str, channel: str | None
) -> None:
    """Per campaign: the counts of the tenant's own events (a shared id never mixes), by channel."""
    store(db, DATASET)
    found = totals(db, "campaign_id", tenant, channel)
    assert found == oracle.counts_by(DATASET, "campaign_id", tenant, FROM, TO, channel)
    assert "" not in found


def test_template_totals_span_the_campaigns_sharing_them(db: ClickHouse) -> None:
    """A template's counts add the messages of every campaign that used it."""
    store(db, DATASET)
    found = totals(db, "template_id", "acme")
    assert found == oracle.counts_by(DATASET, "template_id", "acme", FROM, TO)
    assert found["t-welcome"]["sent"] == 15


@pytest.mark.parametrize("worst", [False, True])
@pytest.mark.parametrize("by", list(CampaignRate))
def test_rankings_leave_null_rates_out_and_break_ties_by_id(
    db: ClickHouse, worst: bool, by: CampaignRate
) -> None:
    """Top and worst by each rate: null rates left out, equal rates ordered by id ascending."""
    store(db, DATASET)
    rate_name = {
        "delivery_rate": "deliveryRate",
        "read_rate": "readRate",
        "click_rate": "clickRate",
        "failure_rate": "failureRate",
    }[by.value]
    for limit in (1, 2, 10):
        rows = ranked_by_id(
            db, "campaign_id", Ranking(RATES[by], worst, limit), "acme", FROM, TO, None
        )
        per_id = oracle.counts_by(DATASET, "campaign_id", "acme", FROM, TO)
        expected = oracle.ranked(per_id, lambda c: oracle.rates(c)[rate_name], limit, not worst)
        assert [i for i, _ in rows] == expected


def test_read_rate_ranking_of_the_dataset(db: ClickHouse) -> None:
    """By read rate, the tie at 50.0 goes to c-spring, SMS ranks at 0.0, push (null) is absent."""
    store(db, DATASET)
    read_rate = RATES[CampaignRate.READ_RATE]
    top = ranked_by_id(db, "campaign_id", Ranking(read_rate, False, 10), "acme", FROM, TO, None)
    assert [i for i, _ in top] == ["c-spring", "c-tie", "c-sms"]
    worst = ranked_by_id(db, "campaign_id", Ranking(read_rate, True, 2), "acme", FROM, TO, None)
    assert [i for i, _ in worst] == ["c-sms", "c-spring"]


def test_a_ranking_of_fewer_counts_ranks_alike_and_reads_only_those(db: ClickHouse) -> None:
    """Summing only read and delivered gives the same order and those counts; the rest are 0."""
    store(db, DATASET)
    ranking = Ranking(RATES[CampaignRate.READ_RATE], False, 10)
    full = ranked_by_id(db, "campaign_id", ranking, "acme", FROM, TO, None)
    narrow = ranked_by_id(
        db, "campaign_id", ranking, "acme", FROM, TO, None, RATE_COUNTS[CampaignRate.READ_RATE]
    )
    assert [(i, c.read, c.delivered) for i, c in narrow] == [
        (i, c.read, c.delivered) for i, c in full
    ]
    assert {(c.sent, c.clicked, c.failed, c.received) for _, c in narrow} == {(0, 0, 0, 0)}


def test_ranked_rates_round_half_away_from_zero_like_the_published_ones(db: ClickHouse) -> None:
    """The SQL figure equals the published rate for every fraction n/d, d < 70 (3.125 -> 3.13)."""
    figure = rate_sql("n", "d")
    rows = db.query(
        f"SELECT n, d, toString({figure}) AS r"
        " FROM (SELECT number % 70 AS n, intDiv(number, 70) AS d FROM numbers(4900))"
    )
    for row in rows:
        expected = oracle.pct(int(row["n"]), int(row["d"]))
        found = None if row["r"] in (None, "\\N") else float(row["r"])
        assert found == expected, row


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
    assert ranked_by_id(db, "campaign_id", ALL, "acme", empty_from, empty_to, None) == []
    counts = campaign_counts(db, "acme", empty_from, empty_to, None)
    assert (counts.started, counts.completed) == (0, 0)
