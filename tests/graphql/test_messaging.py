"""``messagingMetrics`` over a real chdb: counts, rates, FRT and filters per bucket."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.messaging import nominal_end
from pulse.settings import Settings
from tests.graphql.conftest import DAY, H0, H1, H2, H3, NEXT_DAY, graphql, token

QUERY = """
query M($from: DateTime!, $to: DateTime!, $g: Granularity!, $channel: String, $tenant: String) {
  messagingMetrics(from: $from, to: $to, granularity: $g, channel: $channel, tenantId: $tenant) {
    tenantId granularity
    buckets {
      start end sent delivered read clicked failed complained unsubscribed received
      deliveryRate readRate clickRate failureRate
      firstResponse { conversations frtAvgSeconds frtP50Seconds frtP90Seconds }
    }
  }
}
"""

NO_FRT = {"conversations": 0, "frtAvgSeconds": None, "frtP50Seconds": None, "frtP90Seconds": None}


def ask(
    client: TestClient,
    settings: Settings,
    granularity: str = "HOUR",
    tenant: str = "acme",
    **extra: Any,
) -> dict[str, Any]:
    variables = {"from": "2025-03-01T00:00:00Z", "to": "2025-04-01T00:00:00Z", "g": granularity}
    body = graphql(client, QUERY, {**variables, **extra}, bearer=token(settings, tenant))
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["messagingMetrics"]
    return result


def by_start(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["start"]: b for b in result["buckets"]}


@pytest.mark.clickhouse
def test_hour_buckets_sum_slices_and_channels_with_rates(
    client: TestClient, settings: Settings
) -> None:
    """Each hour sums the latest version of every slice and channel, and derives its rates."""
    result = ask(client, settings)
    assert result["tenantId"] == "acme" and result["granularity"] == "HOUR"
    assert [b["start"] for b in result["buckets"]] == [t.isoformat() for t in (H0, H1, H2)]
    h0 = result["buckets"][0]
    assert h0["end"] == H1.isoformat()
    assert {k: h0[k] for k in ("sent", "delivered", "read", "clicked", "failed")} == {
        "sent": 15,
        "delivered": 12,
        "read": 3,
        "clicked": 1,
        "failed": 2,
    }
    assert (h0["complained"], h0["unsubscribed"], h0["received"]) == (1, 2, 4)
    assert (h0["deliveryRate"], h0["readRate"], h0["clickRate"], h0["failureRate"]) == (
        80.0,
        25.0,
        8.33,
        13.33,
    )


@pytest.mark.clickhouse
def test_rates_are_null_without_denominator_and_zero_without_numerator(
    client: TestClient, settings: Settings
) -> None:
    """Sent 3, delivered 0: delivery and failure rates are 0.0, read and click rates null."""
    h1 = by_start(ask(client, settings))[H1.isoformat()]
    assert (h1["sent"], h1["delivered"]) == (3, 0)
    assert (h1["deliveryRate"], h1["readRate"], h1["clickRate"], h1["failureRate"]) == (
        0.0,
        None,
        None,
        0.0,
    )
    assert h1["firstResponse"] == NO_FRT


@pytest.mark.clickhouse
def test_first_response_is_exact_per_bucket(client: TestClient, settings: Settings) -> None:
    """FRT mean rounds to milliseconds, p50/p90 are exact nearest ranks, stale versions drop."""
    buckets = by_start(ask(client, settings))
    # H0: 500, 1000, 2001, 4000, 10001 ms (c1's stale 99 999 ms version replaced).
    assert buckets[H0.isoformat()]["firstResponse"] == {
        "conversations": 5,
        "frtAvgSeconds": 3.5,
        "frtP50Seconds": 2.001,
        "frtP90Seconds": 10.001,
    }
    assert buckets[H2.isoformat()]["firstResponse"] == {
        "conversations": 1,
        "frtAvgSeconds": 3.0,
        "frtP50Seconds": 3.0,
        "frtP90Seconds": 3.0,
    }


@pytest.mark.clickhouse
def test_day_buckets_read_the_day_rows_and_day_start_of_facts(
    client: TestClient, settings: Settings
) -> None:
    """A day bucket reads the day counter rows and every fact whose reply fell that day."""
    (day,) = ask(client, settings, granularity="DAY")["buckets"]
    assert (day["start"], day["end"]) == (DAY.isoformat(), NEXT_DAY.isoformat())
    assert (day["sent"], day["delivered"], day["received"]) == (19, 12, 4)
    # 500, 1000, 2001, 3000, 4000, 10001 ms: mean 3417 ms, p50 rank 3, p90 rank ceil(5.4) = 6.
    assert day["firstResponse"] == {
        "conversations": 6,
        "frtAvgSeconds": 3.417,
        "frtP50Seconds": 2.001,
        "frtP90Seconds": 10.001,
    }


@pytest.mark.clickhouse
def test_channel_filter_restricts_counts_and_first_responses(
    client: TestClient, settings: Settings
) -> None:
    """With a channel only its counters and conversations count; the mean rounds half up."""
    email = by_start(ask(client, settings, channel="email"))
    assert list(email) == [H0.isoformat(), H2.isoformat()]
    assert (email[H0.isoformat()]["sent"], email[H0.isoformat()]["received"]) == (15, 0)
    # 1000, 2001, 4000, 10001 ms: mean 4250.5 ms → 4.251 s (half away from zero).
    assert email[H0.isoformat()]["firstResponse"] == {
        "conversations": 4,
        "frtAvgSeconds": 4.251,
        "frtP50Seconds": 2.001,
        "frtP90Seconds": 10.001,
    }
    assert email[H2.isoformat()]["firstResponse"] == NO_FRT


@pytest.mark.clickhouse
def test_bucket_with_only_first_responses_is_returned_with_zero_counts(
    client: TestClient, settings: Settings
) -> None:
    """A whatsapp filter keeps H2, where only a whatsapp first reply happened, with its real end."""
    whatsapp = by_start(ask(client, settings, channel="whatsapp"))
    assert list(whatsapp) == [H0.isoformat(), H1.isoformat(), H2.isoformat()]
    h0 = whatsapp[H0.isoformat()]
    assert (h0["received"], h0["sent"], h0["deliveryRate"]) == (4, 0, None)
    h2 = whatsapp[H2.isoformat()]
    assert (h2["end"], h2["sent"], h2["received"]) == (H3.isoformat(), 0, 0)
    assert h2["firstResponse"]["frtP90Seconds"] == 3.0


@pytest.mark.clickhouse
def test_window_selects_buckets_starting_in_from_to(client: TestClient, settings: Settings) -> None:
    """Buckets are chosen by start in [from, to): from is inclusive, to exclusive."""
    result = ask(client, settings, **{"from": H1.isoformat(), "to": H2.isoformat()})
    assert [b["start"] for b in result["buckets"]] == [H1.isoformat()]


@pytest.mark.clickhouse
def test_offsets_in_arguments_name_instants(client: TestClient, settings: Settings) -> None:
    """from/to with a non-UTC offset select by instant: 05:00-05:00 is 10:00Z."""
    result = ask(
        client, settings, **{"from": "2025-03-10T05:00:00-05:00", "to": "2025-03-10T06:00:00-05:00"}
    )
    assert [b["start"] for b in result["buckets"]] == [H1.isoformat()]


@pytest.mark.clickhouse
def test_each_tenant_sees_only_its_rows(client: TestClient, settings: Settings) -> None:
    """globex's token reads globex's rows only, and acme's answer holds none of them."""
    globex = ask(client, settings, tenant="globex")
    assert [(b["sent"], b["firstResponse"]["conversations"]) for b in globex["buckets"]] == [
        (100, 1)
    ]
    acme = ask(client, settings)
    assert all(b["sent"] != 100 for b in acme["buckets"])


@pytest.mark.parametrize(
    ("start", "granularity", "end"),
    [
        ("2025-03-30T00:00:00+00:00", "hour", "2025-03-30T01:00:00+00:00"),
        ("2025-03-10T04:00:00+00:00", "day", "2025-03-11T04:00:00+00:00"),
        ("2025-03-10T00:00:00+00:00", "week", "2025-03-17T00:00:00+00:00"),
        # Local midnight of 1 Feb at UTC+01:00 and at UTC-05:00.
        ("2025-01-31T23:00:00+00:00", "month", "2025-02-28T23:00:00+00:00"),
        ("2024-12-01T05:00:00+00:00", "month", "2025-01-01T05:00:00+00:00"),
    ],
)
def test_nominal_end_of_a_bucket_without_counters(start: str, granularity: str, end: str) -> None:
    """Without a counter row, a bucket lasts its nominal hour, day, week or local calendar month."""
    got = nominal_end(datetime.fromisoformat(start), granularity)
    assert got.astimezone(UTC) == datetime.fromisoformat(end)
