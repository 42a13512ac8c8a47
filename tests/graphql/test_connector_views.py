"""The connector views (m0017) on the API tests' dataset: each answers the figures worked out by
hand from the rows, and the same figures as the GraphQL answer for that UTC day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.families.registry import DERIVATIONS
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.graphql.conftest import DAY, H0, H1, H3, NEXT_DAY, RAW_COLUMNS, graphql, raw, token

pytestmark = [pytest.mark.clickhouse, pytest.mark.redis]

WHEN = {"from": DAY.isoformat(), "to": NEXT_DAY.isoformat()}
MESSAGING = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "clicked": "clicked",
    "failed": "failed",
    "complained": "complained",
    "unsubscribed": "unsubscribed",
    "received": "received",
    "delivery_rate": "deliveryRate",
    "read_rate": "readRate",
    "click_rate": "clickRate",
    "failure_rate": "failureRate",
}
HELPDESK = {
    "conversations_created": "conversationsCreated",
    "conversations_resolved": "conversationsResolved",
    "conversations_reopened": "conversationsReopened",
    "first_responses": "firstResponses",
    "frt_avg_seconds": "frtAvgSeconds",
    "frt_p50_seconds": "frtP50Seconds",
    "frt_p90_seconds": "frtP90Seconds",
    "resolutions": "resolutions",
    "resolution_avg_seconds": "resolutionAvgSeconds",
    "resolution_p50_seconds": "resolutionP50Seconds",
    "resolution_p90_seconds": "resolutionP90Seconds",
    "csat_responses": "csatResponses",
    "csat_avg": "csatAvg",
    "csat_percent": "csatPercent",
}
# The dataset's day for acme, by hand: email sent 4 replies + 11 of campaign spring + 1 (H2),
# whatsapp sent 2 replies + 3 (H1) and received 4.
EMAIL = {
    "sent": 16,
    "delivered": 12,
    "read": 3,
    "clicked": 1,
    "failed": 2,
    "complained": 1,
    "unsubscribed": 2,
    "received": 0,
    "delivery_rate": 75.0,
    "read_rate": 25.0,
    "click_rate": 8.33,
    "failure_rate": 12.5,
}
WHATSAPP = {
    **dict.fromkeys(MESSAGING, 0),
    "sent": 5,
    "received": 4,
    "delivery_rate": 0.0,
    "read_rate": None,
    "click_rate": None,
    "failure_rate": 0.0,
}
SPRING = {**EMAIL, "sent": 11, "delivery_rate": 109.09, "failure_rate": 18.18}
# c1-c6 created and answered in 1, 2.001, 4, 10.001, 0.5 and 3 s; c1 resolved at H1, 3001 s
# after its creation; CSAT scores 5 and 3 (added below).
WEB = {
    "page_views": "pageViews",
    "visitors": "visitors",
    "sessions": "sessions",
    "avg_session_seconds": "avgSessionSeconds",
}
# v1 views /a and /b ten minutes apart (a 600 s session) and /a again two hours later (a new
# session of 0 s), v2 views /a once, and a dnt page view counts as a view only.
WEB_DAY = {"page_views": 5, "visitors": 2, "sessions": 3, "avg_session_seconds": 200.0}
HELPDESK_DAY = {
    "conversations_created": 6,
    "conversations_resolved": 1,
    "conversations_reopened": 0,
    "first_responses": 6,
    "frt_avg_seconds": 3.417,
    "frt_p50_seconds": 2.001,
    "frt_p90_seconds": 10.001,
    "resolutions": 1,
    "resolution_avg_seconds": 3001.0,
    "resolution_p50_seconds": 3001.0,
    "resolution_p90_seconds": 3001.0,
    "csat_responses": 2,
    "csat_avg": 4.0,
    "csat_percent": 50.0,
}


def store_with(db: ClickHouse, rows: list[dict[str, Any]], *extra: str) -> None:
    """Insert raw rows with ``extra`` columns and refresh what they touched, as the sink does."""
    columns = [*RAW_COLUMNS, *extra]
    db.insert("events_raw", rows, columns)
    touched = {c: [r[c] for r in rows] for c in columns}
    for derivation in DERIVATIONS:
        derivation.refresh(db, derivation.touched(touched))


def view_rows(db: ClickHouse, view: str, columns: dict[str, str], key: str) -> dict[str, Any]:
    """acme's rows of ``view`` on the dataset's day, by ``key``, with ``columns``."""
    rows = db.query(f"SELECT * FROM {view} WHERE tenant_id = 'acme' AND day = toDate('2025-03-10')")
    return {row[key]: {c: row[c] for c in columns} for row in rows}


def day_bucket(
    client: TestClient, settings: Settings, field: str, columns: dict[str, str], **filters: str
) -> dict[str, Any]:
    """The one DAY bucket of ``field`` for acme, under ``filters``, in the views' names."""
    arguments = ", ".join(f'{name}: "{value}"' for name, value in {**WHEN, **filters}.items())
    selection = " ".join(columns.values())
    query = f"{{ {field}({arguments}, granularity: DAY) {{ buckets {{ {selection} }} }} }}"
    body = graphql(client, query, bearer=token(settings))
    assert "errors" not in body, body
    (bucket,) = body["data"][field]["buckets"]
    return {view: bucket[api] for view, api in columns.items()}


def test_messaging_daily_per_channel(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    """messaging_daily has the day's counts and rates per channel, as messagingMetrics."""
    found = view_rows(clickhouse, "messaging_daily", MESSAGING, "channel")
    assert found == {"email": EMAIL, "whatsapp": WHATSAPP}
    for channel, figures in found.items():
        assert day_bucket(client, settings, "messagingMetrics", MESSAGING, channel=channel) == (
            figures
        )


def test_campaign_daily_per_campaign(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    """campaign_daily has only campaign messages, per campaign, as messagingMetrics(campaign)."""
    found = view_rows(clickhouse, "campaign_daily", MESSAGING, "campaign_id")
    assert found == {"spring": SPRING}
    asked = day_bucket(client, settings, "messagingMetrics", MESSAGING, campaign="spring")
    assert asked == SPRING


def test_helpdesk_daily(client: TestClient, clickhouse: ClickHouse, settings: Settings) -> None:
    """helpdesk_daily has the day's conversations, first responses, resolutions and CSAT, as
    helpdeskMetrics."""
    common = {"conversation_id": "c1", "org_unit": "support", "score": None}
    store_with(
        clickhouse,
        [
            {**raw("conversation.resolved", H1, "email"), **common},
            {**raw("csat.submitted", H1 + timedelta(minutes=1), "email"), **common, "score": 5},
            {**raw("csat.submitted", H1 + timedelta(minutes=2), "email"), **common, "score": 3},
        ],
        "score",
    )
    found = view_rows(clickhouse, "helpdesk_daily", HELPDESK, "tenant_id")
    assert found == {"acme": HELPDESK_DAY}
    assert day_bucket(client, settings, "helpdeskMetrics", HELPDESK) == HELPDESK_DAY


def page_view(at: datetime, visitor: str, url: str, dnt: bool = False) -> dict[str, Any]:
    row = raw("web.page_view", at, "", source_topic="pulse.events.web")
    return {**row, "visitor_id": visitor, "session_id": "", "url": url, "dnt": dnt}


def test_web_daily(client: TestClient, clickhouse: ClickHouse, settings: Settings) -> None:
    """web_daily has the day's page views (dnt included), visitors, sessions and their mean
    length, as webMetrics."""
    store_with(
        clickhouse,
        [
            page_view(H0, "v1", "/a"),
            page_view(H0 + timedelta(minutes=10), "v1", "/b"),
            page_view(H1, "v2", "/a"),
            page_view(H1 + timedelta(minutes=30), "", "/a", dnt=True),
            page_view(H3, "v1", "/a"),
        ],
        "visitor_id",
        "session_id",
        "url",
        "dnt",
    )
    found = view_rows(clickhouse, "web_daily", WEB, "tenant_id")
    assert found == {"acme": WEB_DAY}
    assert day_bucket(client, settings, "webMetrics", WEB) == WEB_DAY
