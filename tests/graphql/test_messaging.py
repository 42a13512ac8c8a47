"""``messagingMetrics`` over a real chdb: every bucket of the grid, counts, rates, first responses
and filters, computed from the slots of known raw events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.settings import Settings
from tests.graphql.conftest import (
    DAY,
    H0,
    H1,
    H2,
    H3,
    NEXT_DAY,
    Tenants,
    graphql,
    messages,
    store_raw,
    token,
)

pytestmark = pytest.mark.clickhouse

COUNTS = "sent delivered read clicked failed complained unsubscribed received"
RATES = "deliveryRate readRate clickRate failureRate"
FRT = "firstResponse { conversations frtAvgSeconds frtP50Seconds frtP90Seconds }"
QUERY = f"""
query M($from: DateTime!, $to: DateTime!, $g: Granularity!, $channel: String, $tenant: String,
        $orgUnit: String, $campaign: String, $template: String, $workflow: String,
        $sequence: String, $timeZone: String) {{
  messagingMetrics(from: $from, to: $to, granularity: $g, channel: $channel, tenantId: $tenant,
                   orgUnit: $orgUnit, campaign: $campaign, template: $template,
                   workflow: $workflow, sequence: $sequence, timeZone: $timeZone) {{
    tenantId timeZone granularity
    buckets {{ start end localStart {COUNTS} {RATES} {FRT} }}
    totals {{ {COUNTS} {RATES} {FRT} }}
  }}
}}
"""

NO_FRT = {"conversations": 0, "frtAvgSeconds": None, "frtP50Seconds": None, "frtP90Seconds": None}
ZERO = dict.fromkeys(COUNTS.split(), 0)


def ask(
    client: TestClient,
    settings: Settings,
    granularity: str = "HOUR",
    tenant: str = "acme",
    **extra: Any,
) -> dict[str, Any]:
    variables = {"from": DAY.isoformat(), "to": NEXT_DAY.isoformat(), "g": granularity}
    body = graphql(client, QUERY, {**variables, **extra}, bearer=token(settings, tenant))
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["messagingMetrics"]
    return result


def by_start(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["start"]: b for b in result["buckets"]}


def counts(bucket: dict[str, Any]) -> dict[str, int]:
    return {name: bucket[name] for name in COUNTS.split()}


def test_hour_buckets_sum_channels_with_rates(client: TestClient, settings: Settings) -> None:
    """Each hour sums every channel's events (agent replies are sent messages) and derives rates."""
    result = ask(client, settings)
    assert (result["tenantId"], result["timeZone"], result["granularity"]) == (
        "acme",
        "UTC",
        "HOUR",
    )
    h0 = by_start(result)[H0.isoformat()]
    assert h0["end"] == H1.isoformat()
    assert counts(h0) == {
        "sent": 16,
        "delivered": 12,
        "read": 3,
        "clicked": 1,
        "failed": 2,
        "complained": 1,
        "unsubscribed": 2,
        "received": 4,
    }
    assert (h0["deliveryRate"], h0["readRate"], h0["clickRate"], h0["failureRate"]) == (
        75.0,
        25.0,
        8.33,
        12.5,
    )


def test_every_bucket_of_the_grid_is_returned_and_empty_ones_are_zeros_and_nulls(
    client: TestClient, settings: Settings
) -> None:
    """A day of hours gives 24 buckets, oldest first; an hour without events is zeros, null rates
    and no first responses, with its local start."""
    result = ask(client, settings)
    starts = [b["start"] for b in result["buckets"]]
    assert starts == [(DAY + timedelta(hours=h)).isoformat() for h in range(24)]
    empty = by_start(result)[H3.isoformat()]
    assert counts(empty) == ZERO
    assert [empty[r] for r in RATES.split()] == [None] * 4
    assert empty["firstResponse"] == NO_FRT
    assert empty["localStart"] == H3.isoformat()


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


def test_first_response_is_exact_per_bucket(client: TestClient, settings: Settings) -> None:
    """FRT (creation to first agent reply) in the bucket of the reply: the mean rounds to
    milliseconds, p50/p90 are exact nearest ranks."""
    buckets = by_start(ask(client, settings))
    # H0: 500, 1000, 2001, 4000, 10001 ms.
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


def test_day_bucket_and_totals_cover_the_whole_day(client: TestClient, settings: Settings) -> None:
    """A day bucket and the totals hold every event and every first response of the day."""
    result = ask(client, settings, granularity="DAY")
    (day,) = result["buckets"]
    assert (day["start"], day["end"]) == (DAY.isoformat(), NEXT_DAY.isoformat())
    assert (day["sent"], day["delivered"], day["received"]) == (21, 12, 4)
    # 500, 1000, 2001, 3000, 4000, 10001 ms: mean 3417 ms, p50 rank 3, p90 rank ceil(5.4) = 6.
    frt = {
        "conversations": 6,
        "frtAvgSeconds": 3.417,
        "frtP50Seconds": 2.001,
        "frtP90Seconds": 10.001,
    }
    assert day["firstResponse"] == frt
    assert counts(result["totals"]) == counts(day)
    assert result["totals"]["firstResponse"] == frt
    assert result["totals"]["deliveryRate"] == 57.14


def test_channel_filter_restricts_counts_and_first_responses(
    client: TestClient, settings: Settings
) -> None:
    """With a channel only its events and conversations count; the mean rounds half up."""
    email = by_start(ask(client, settings, channel="email"))
    h0 = email[H0.isoformat()]
    assert (h0["sent"], h0["received"], h0["deliveryRate"], h0["failureRate"]) == (
        15,
        0,
        80.0,
        13.33,
    )
    # 1000, 2001, 4000, 10001 ms: mean 4250.5 ms → 4.251 s (half away from zero).
    assert h0["firstResponse"] == {
        "conversations": 4,
        "frtAvgSeconds": 4.251,
        "frtP50Seconds": 2.001,
        "frtP90Seconds": 10.001,
    }
    assert email[H2.isoformat()]["firstResponse"] == NO_FRT


def test_org_unit_filter_restricts_messages_and_conversations(
    client: TestClient, settings: Settings
) -> None:
    """orgUnit keeps the messages of that unit and the conversations filed under it."""
    sales = ask(client, settings, granularity="DAY", orgUnit="sales")["totals"]
    assert (sales["sent"], sales["firstResponse"]) == (3, NO_FRT)
    support = ask(client, settings, granularity="DAY", orgUnit="support")["totals"]
    assert (support["sent"], support["firstResponse"]["conversations"]) == (6, 6)


@pytest.mark.parametrize(
    ("filters", "sent", "delivered"),
    [
        ({"campaign": "spring"}, 11, 12),
        ({"template": "t1"}, 11, 12),
        ({"workflow": "wf1"}, 1, 0),
        ({"sequence": "sq1"}, 1, 0),
        ({"campaign": "spring", "sequence": "sq1"}, 0, 0),
    ],
)
def test_outreach_filters_count_their_messages_and_leave_first_response_null(
    client: TestClient, settings: Settings, filters: dict[str, str], sent: int, delivered: int
) -> None:
    """A campaign, template, workflow or sequence keeps the events carrying it (filters combine);
    first responses, which belong to conversations, are null."""
    result = ask(client, settings, granularity="DAY", **filters)
    totals = result["totals"]
    assert (totals["sent"], totals["delivered"]) == (sent, delivered)
    assert totals["firstResponse"] is None
    assert result["buckets"][0]["firstResponse"] is None


def test_window_selects_buckets_starting_in_from_to(client: TestClient, settings: Settings) -> None:
    """Buckets are chosen by start in [from, to): from is inclusive, to exclusive."""
    result = ask(client, settings, **{"from": H1.isoformat(), "to": H2.isoformat()})
    assert [b["start"] for b in result["buckets"]] == [H1.isoformat()]
    assert result["totals"]["sent"] == 3


def test_offsets_in_arguments_name_instants(client: TestClient, settings: Settings) -> None:
    """from/to with a non-UTC offset select by instant: 05:00-05:00 is 10:00Z."""
    result = ask(
        client, settings, **{"from": "2025-03-10T05:00:00-05:00", "to": "2025-03-10T06:00:00-05:00"}
    )
    assert [b["start"] for b in result["buckets"]] == [H1.isoformat()]


def test_each_tenant_sees_only_its_rows(client: TestClient, settings: Settings) -> None:
    """globex's token reads globex's events only, and acme's answer holds none of them."""
    globex = ask(client, settings, granularity="DAY", tenant="globex")["totals"]
    assert (globex["sent"], globex["delivered"], globex["firstResponse"]["conversations"]) == (
        101,
        100,
        1,
    )
    acme = ask(client, settings, granularity="DAY")["totals"]
    assert acme["sent"] == 21


def test_time_zone_argument_buckets_in_that_zone(client: TestClient, settings: Settings) -> None:
    """timeZone Asia/Kolkata (+05:30) gives hours starting at :30 UTC, so H0's events split
    between the 08:30 and the 09:30 buckets at 09:30."""
    result = ask(client, settings, timeZone="Asia/Kolkata")
    assert result["timeZone"] == "Asia/Kolkata"
    buckets = by_start(result)
    early = buckets["2025-03-10T08:30:00+00:00"]
    assert early["localStart"] == "2025-03-10T14:00:00+05:30"
    # 11 spring sends from 09:01, received 4, c1's and c2's replies (09:10, 09:20).
    assert (early["sent"], early["received"], early["firstResponse"]["conversations"]) == (13, 4, 2)
    late = buckets["2025-03-10T09:30:00+00:00"]
    # c3-c5's replies (09:30, 09:40, 09:50) and H1's 3 whatsapp sends at 10:20.
    assert (late["sent"], late["firstResponse"]["conversations"]) == (6, 3)


def test_a_zone_change_rebuckets_history(
    client: TestClient, settings: Settings, tenants: Tenants
) -> None:
    """Events stored under UTC are bucketed in the tenant's new zone once it changes."""
    before = ask(client, settings, granularity="DAY")
    assert before["timeZone"] == "UTC" and before["buckets"][0]["sent"] == 21
    tenants.zones["acme"] = (
        "Pacific/Kiritimati"  # +14:00: 09:00Z is 23:00 local, 10:00Z the next day
    )
    variables = {"from": "2025-03-09T00:00:00Z", "to": "2025-03-11T00:00:00Z"}
    after = ask(client, settings, granularity="DAY", **variables)
    assert after["timeZone"] == "Pacific/Kiritimati"
    days = {b["localStart"][:10]: b["sent"] for b in after["buckets"]}
    assert days == {"2025-03-10": 16, "2025-03-11": 5}


def test_an_event_older_than_any_stream_horizon_lands_in_its_bucket(
    client: TestClient, settings: Settings, clickhouse: Any
) -> None:
    """An event of two years ago, stored and refreshed like any other, is in its own month."""
    old = datetime(2023, 2, 14, 12, tzinfo=UTC)
    store_raw(clickhouse, messages("read", 2, old, "sms"))
    variables = {"from": "2023-01-01T00:00:00Z", "to": "2023-04-01T00:00:00Z"}
    result = ask(client, settings, granularity="MONTH", **variables)
    assert [b["read"] for b in result["buckets"]] == [0, 2, 0]


def test_a_range_over_the_bucket_limit_is_refused_naming_it(
    client: TestClient, settings: Settings
) -> None:
    """More hour buckets than PULSE_API_MAX_BUCKETS: an error naming the limit and suggesting
    a coarser granularity."""
    limit = settings.api.max_buckets
    variables = {
        "from": "2020-01-01T00:00:00Z",
        "to": (datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=limit + 1)).isoformat(),
        "g": "HOUR",
    }
    body = graphql(client, QUERY, variables, bearer=token(settings))
    (error,) = body["errors"]
    assert str(limit) in error["message"] and "PULSE_API_MAX_BUCKETS" in error["message"]
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert error["extensions"]["limit"] == limit
    assert "DAY" in error["extensions"]["suggestion"]
    assert body["data"] == {"messagingMetrics": None}
