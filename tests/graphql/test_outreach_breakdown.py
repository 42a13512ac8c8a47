"""outreachBreakdown on a seeded random set of campaigns: counts and usage add up to the total,
distinct campaigns started stay distinct (never summed), against counts made here."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from tests.graphql.conftest import MemoryStore, Tenants, graphql, kafka_up, raw, store_raw, token
from tests.graphql.messaging_breakdown_dataset import COUNTS, figures
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.clickhouse]

START, END = datetime(2025, 3, 10, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC)
CAMPAIGNS = ("", "c1", "c2", "c3", "c4", "c5")
EXTRA = "usage campaignsStarted campaignsCompleted"
FIGURES = " ".join(COUNTS) + " deliveryRate readRate clickRate failureRate " + EXTRA
QUERY = f"""query($by: [OutreachDimension!]!, $sort: OutreachFigure!, $limit: Int!) {{
  outreachBreakdown(from: "2025-03-10T00:00:00Z", to: "2025-03-11T00:00:00Z", by: $by,
                    sortBy: $sort, limit: $limit) {{
    rows {{ keys {{ dimension value }} {FIGURES} }}
    other {{ groups {FIGURES} }}
    total {{ groups {FIGURES} }}
  }}
}}"""

Key = tuple[str | None, ...]


def dataset(seed: int = 5) -> list[dict[str, Any]]:
    """Messages of campaigns and templates over the day; each campaign started on one or two
    channels (c1 on both), some completed, and a start the day before that does not count."""
    pick = random.Random(seed)
    rows = []
    for _ in range(700):
        at = START + timedelta(seconds=pick.randrange(86_400))
        kind = pick.choice(("sent", "sent", "delivered", "read", "clicked", "failed"))
        rows.append(
            raw(
                f"message.{kind}",
                at,
                pick.choice(("email", "sms")),
                campaign_id=pick.choice(CAMPAIGNS),
                template_id=pick.choice(("", "t1", "t2", "t3")),
            )
        )
    starts = {"c1": ("email", "sms"), "c2": ("email",), "c3": ("sms",), "c4": ("email",)}
    for campaign, channels in starts.items():
        for channel in channels:
            rows.append(
                raw("campaign.started", START + timedelta(hours=1), channel, campaign_id=campaign)
            )
    for campaign in ("c1", "c2"):
        rows.append(
            raw("campaign.completed", START + timedelta(hours=20), "email", campaign_id=campaign)
        )
    rows.append(raw("campaign.started", START - timedelta(hours=1), "sms", campaign_id="c5"))
    return rows


EVENTS = dataset()


def expected(by: tuple[str, ...]) -> dict[Key, dict[str, Any]]:
    """Per group of ``by`` (event columns): its figures as the API names them."""
    counts: dict[Key, Counter[str]] = defaultdict(Counter)
    started: dict[Key, set[str]] = defaultdict(set)
    completed: dict[Key, set[str]] = defaultdict(set)
    for e in EVENTS:
        at = datetime.fromtimestamp(e["occurred_at"] / 1000, UTC)
        if not START <= at < END:
            continue
        key = tuple(e[column] or None for column in by)
        kind = e["event_type"]
        if kind == "campaign.started":
            started[key].add(e["campaign_id"])
        elif kind == "campaign.completed":
            completed[key].add(e["campaign_id"])
        else:
            counts[key][kind.removeprefix("message.")] += 1
            if kind == "message.sent" and e["template_id"]:
                counts[key]["usage"] += 1
    return {
        key: {
            **figures(counts[key]),
            "usage": counts[key]["usage"],
            "campaignsStarted": started[key],
            "campaignsCompleted": completed[key],
        }
        for key in set(counts) | set(started) | set(completed)
    }


def combined(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Several groups as one: counts summed, campaigns united, rates of the summed counts."""
    counts = Counter({c: sum(g[c] for g in groups) for c in COUNTS})
    return {
        **figures(counts),
        "usage": sum(g["usage"] for g in groups),
        "campaignsStarted": len(set().union(*(g["campaignsStarted"] for g in groups))),
        "campaignsCompleted": len(set().union(*(g["campaignsCompleted"] for g in groups))),
    }


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    db = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        store_raw(db, EVENTS)
        with TestClient(create_app(settings, db, MemoryStore(), kafka_up, Tenants())) as client:
            yield client
    finally:
        db.close()


def ask(client: TestClient, bearer: str, **variables: Any) -> dict[str, Any]:
    body = graphql(client, QUERY, variables, bearer=bearer)
    assert "errors" not in body, body
    return body["data"]["outreachBreakdown"]


def test_campaign_by_channel_rows_other_and_total(api: TestClient, settings: Settings) -> None:
    """By sent: the top 4 groups exact, the rest folded with its own distinct campaigns."""
    groups = expected(("campaign_id", "channel"))
    order = sorted(groups, key=lambda k: (-groups[k]["sent"], tuple(v or "" for v in k)))
    found = ask(api, token(settings), by=["CAMPAIGN", "CHANNEL"], sort="SENT", limit=4)
    names = ("CAMPAIGN", "CHANNEL")
    assert found["rows"] == [
        {
            "keys": [{"dimension": n, "value": v} for n, v in zip(names, k, strict=True)],
            **combined([groups[k]]),
        }
        for k in order[:4]
    ]
    assert found["other"] == {"groups": len(order) - 4, **combined([groups[k] for k in order[4:]])}
    assert found["total"] == {"groups": len(order), **combined(list(groups.values()))}
    for count in (*COUNTS, "usage"):
        added = sum(r[count] for r in found["rows"]) + found["other"][count]
        assert added == found["total"][count], count


def test_campaigns_started_by_channel_are_distinct_per_row_and_in_total(
    api: TestClient, settings: Settings
) -> None:
    """c1 started on both channels counts once in each row and once in the total."""
    groups = expected(("channel",))
    found = ask(api, token(settings), by=["CHANNEL"], sort="CAMPAIGNS_STARTED", limit=10)
    by_channel = {r["keys"][0]["value"]: r["campaignsStarted"] for r in found["rows"]}
    assert by_channel == {k[0]: len(g["campaignsStarted"]) for k, g in groups.items()}
    assert found["total"]["campaignsStarted"] == 4
    assert sum(by_channel.values()) == 5


def test_template_usage_is_sent_with_the_template(api: TestClient, settings: Settings) -> None:
    """By template: usage is the template's sent; messages without one have none."""
    groups = expected(("template_id",))
    found = ask(api, token(settings), by=["TEMPLATE"], sort="USAGE", limit=10)
    usage = {r["keys"][0]["value"]: r["usage"] for r in found["rows"]}
    assert usage == {k[0]: g["usage"] for k, g in groups.items()}
    assert usage[None] == 0


def test_a_confined_token_is_refused(api: TestClient, settings: Settings) -> None:
    """Campaign figures are tenant-wide: a token confined to org units is FORBIDDEN."""
    north = role_token(settings, ["analytics.view"], ["north"])
    body = graphql(api, QUERY, {"by": ["CHANNEL"], "sort": "SENT", "limit": 3}, bearer=north)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
