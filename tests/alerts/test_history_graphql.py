"""alertHistory over a real chdb: newest first, filtered by rule, time, kind and episode status,
the rule as it was, delivery attempts joined, one tenant's only, never a secret."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.alerts.history_rows import RESOLVED, TRIGGERED, alert_event, attempt, insert_history
from tests.alerts.rule_samples import rule
from tests.graphql.conftest import MemoryStore, graphql, kafka_up, token

pytestmark = pytest.mark.clickhouse

T0 = 1_772_445_600_000  # 2026-03-02T10:00Z
MIN = 60_000
RULE_A = rule(rule_id="rul_a", name="breaches, as they were")
RULE_A_NOW = rule(rule_id="rul_a", name="breaches, renamed later")
RULE_B = rule(rule_id="rul_b", metric="sla_breach_rate", name="breach rate")
RULE_G = rule(rule_id="rul_g", tenant_id="globex", name="theirs")

E1_FIRED = alert_event(RULE_A, "msg_e1t", TRIGGERED, T0, T0, 7.0)
E1_CLEARED = alert_event(RULE_A_NOW, "msg_e1r", RESOLVED, T0, T0 + 10 * MIN, 1.0)
E2_FIRED = alert_event(RULE_A_NOW, "msg_e2t", TRIGGERED, T0 + 30 * MIN, T0 + 30 * MIN, 9.0)
B_FIRED = alert_event(RULE_B, "msg_b1t", TRIGGERED, T0 + 5 * MIN, T0 + 5 * MIN, 50.0)
G_FIRED = alert_event(RULE_G, "msg_g1t", TRIGGERED, T0 + MIN, T0 + MIN, 8.0)
ATTEMPTS = [
    attempt(E1_FIRED, "dst_1", 1, "retry", 500, T0 + 1000, error="HTTP 500"),
    attempt(E1_FIRED, "dst_1", 2, "delivered", 200, T0 + 3000),
    attempt(E1_FIRED, "dst_2", 1, "delivered", 250, T0 + 2000, kind="email"),
    attempt(G_FIRED, "dst_9", 1, "delivered", 200, T0 + MIN + 500),
]

ENTRY = """id ruleId kind status episodeStart occurredAt value threshold windowStart windowEnd
published rule { id name metric window lastFiredAt condition { op value } }
deliveries { destinationId destinationKind attempt outcome statusCode error durationMs
  attemptedAt }"""
HISTORY = f"""query($rule: ID, $from: DateTime, $to: DateTime, $kind: AlertEventKind,
  $status: AlertEpisodeStatus, $limit: Int! = 100, $t: String) {{
  alertHistory(ruleId: $rule, from: $from, to: $to, kind: $kind, status: $status, limit: $limit,
    tenantId: $t) {{ {ENTRY} }} }}"""


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


@pytest.fixture
def api(settings: Settings, db: ClickHouse) -> Iterator[tuple[TestClient, Settings]]:
    """The API over a chdb holding the history above; the unpublished outbox rows and every
    delivery attempt written twice, as a crash and a replayed sink batch leave them."""
    settings = replace(settings, api=replace(settings.api, jwt_secret="test-secret-" + "x" * 32))
    events = [E1_FIRED, E1_CLEARED, E2_FIRED, B_FIRED, G_FIRED]
    unpublished = [{**e, "published": 0, "version": 1} for e in events]
    insert_history(db, unpublished, ATTEMPTS)
    insert_history(db, events, ATTEMPTS)
    with TestClient(create_app(settings, db, MemoryStore(), kafka_up)) as client:
        yield client, settings


def history(api: tuple[TestClient, Settings], tenant: str = "acme", **variables: Any) -> Any:
    client, settings = api
    body = graphql(client, HISTORY, variables, token(settings, tenant))
    assert "errors" not in body, body
    return body["data"]["alertHistory"]


def test_entries_come_newest_first_with_the_rule_as_it_was_and_their_deliveries(
    api: tuple[TestClient, Settings],
) -> None:
    """Every acme entry, newest first, collapsed to its published row, with its rule snapshot
    and its delivery attempts in the order they were made."""
    got = history(api)
    assert [e["id"] for e in got] == ["msg_e2t", "msg_e1r", "msg_b1t", "msg_e1t"]
    fired = got[3]
    assert fired == {
        "id": "msg_e1t",
        "ruleId": "rul_a",
        "kind": "TRIGGERED",
        "status": "RESOLVED",
        "episodeStart": iso(T0),
        "occurredAt": iso(T0),
        "value": 7.0,
        "threshold": 5.0,
        "windowStart": iso(T0 - 15 * MIN),
        "windowEnd": iso(T0),
        "published": True,
        "rule": {
            "id": "rul_a",
            "name": "breaches, as they were",
            "metric": "sla_breached",
            "window": "15m",
            "lastFiredAt": None,
            "condition": {"op": "ABOVE", "value": 5.0},
        },
        "deliveries": [
            {
                "destinationId": "dst_1",
                "destinationKind": "webhook",
                "attempt": 1,
                "outcome": "retry",
                "statusCode": 500,
                "error": "HTTP 500",
                "durationMs": 12,
                "attemptedAt": iso(T0 + 1000),
            },
            {
                "destinationId": "dst_2",
                "destinationKind": "email",
                "attempt": 1,
                "outcome": "delivered",
                "statusCode": 250,
                "error": "",
                "durationMs": 12,
                "attemptedAt": iso(T0 + 2000),
            },
            {
                "destinationId": "dst_1",
                "destinationKind": "webhook",
                "attempt": 2,
                "outcome": "delivered",
                "statusCode": 200,
                "error": "",
                "durationMs": 12,
                "attemptedAt": iso(T0 + 3000),
            },
        ],
    }
    assert got[1]["rule"]["name"] == "breaches, renamed later"
    assert [e["status"] for e in got] == ["FIRING", "RESOLVED", "FIRING", "RESOLVED"]
    assert [e["deliveries"] for e in got[:3]] == [[], [], []]


@pytest.mark.parametrize(
    ("variables", "ids"),
    [
        ({"rule": "rul_a"}, ["msg_e2t", "msg_e1r", "msg_e1t"]),
        ({"rule": "rul_b"}, ["msg_b1t"]),
        ({"kind": "TRIGGERED"}, ["msg_e2t", "msg_b1t", "msg_e1t"]),
        ({"kind": "RESOLVED"}, ["msg_e1r"]),
        ({"status": "FIRING"}, ["msg_e2t", "msg_b1t"]),
        ({"status": "RESOLVED"}, ["msg_e1r", "msg_e1t"]),
        ({"status": "RESOLVED", "kind": "TRIGGERED"}, ["msg_e1t"]),
        ({"from": iso(T0 + 5 * MIN), "to": iso(T0 + 30 * MIN)}, ["msg_e1r", "msg_b1t"]),
        ({"from": iso(T0 + 31 * MIN)}, []),
        ({"rule": "rul_a", "to": iso(T0 + 10 * MIN)}, ["msg_e1t"]),
        ({"limit": 2}, ["msg_e2t", "msg_e1r"]),
    ],
)
def test_filters(
    api: tuple[TestClient, Settings], variables: dict[str, Any], ids: list[str]
) -> None:
    """Rule, time range (from inclusive, to exclusive), kind, episode status and limit narrow
    the history and keep it newest first."""
    assert [e["id"] for e in history(api, **variables)] == ids


def test_the_tokens_tenant_scopes_the_history(api: tuple[TestClient, Settings]) -> None:
    """Another tenant's rule finds nothing, each tenant sees its own entries, naming another
    tenant is FORBIDDEN and no token is refused."""
    assert history(api, rule="rul_g") == []
    theirs = history(api, tenant="globex")
    assert [e["id"] for e in theirs] == ["msg_g1t"]
    assert [d["destinationId"] for d in theirs[0]["deliveries"]] == ["dst_9"]
    client, settings = api
    forbidden = graphql(client, HISTORY, {"t": "globex"}, token(settings, "acme"))
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = graphql(client, HISTORY, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_limit_outside_its_bounds_is_invalid(api: tuple[TestClient, Settings]) -> None:
    """limit must be 1 to 1000: INVALID_ARGUMENT naming it."""
    client, settings = api
    for limit in (0, 1001):
        body = graphql(client, HISTORY, {"limit": limit}, token(settings))
        assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


def test_a_delivery_shows_no_secret(api: tuple[TestClient, Settings]) -> None:
    """A delivery attempt offers only its destination's id and kind, never a URL or a secret."""
    client, settings = api
    query = '{ __type(name: "AlertDelivery") { fields { name } } }'
    fields = {
        f["name"] for f in graphql(client, query, {}, token(settings))["data"]["__type"]["fields"]
    }
    assert fields == {
        "destinationId",
        "destinationKind",
        "attempt",
        "outcome",
        "statusCode",
        "error",
        "durationMs",
        "attemptedAt",
    }
