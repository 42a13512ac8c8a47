"""The alertRules query and the rule mutations over the real broker, scoped to the token's
tenant; invalid rules are answered INVALID_ARGUMENT naming the field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.alerts.destinations import new_destination, publish_destination
from pulse.alerts.rule_book import RuleBook
from pulse.graphql.app import create_app
from pulse.graphql.services import open_alert_rules
from pulse.settings import Settings
from pulse.topics.compacted import acknowledged_producer
from tests.alerts.conftest import apply_topics
from tests.graphql.conftest import MemoryStore, graphql, kafka_up, token

pytestmark = [pytest.mark.kafka]

FIELDS = "id tenantId name type metric window status destinations lastFiredAt"
FIELDS += " filter { orgUnit channel priority } condition { op value k weeks } recovery noData"
CREATE = f"mutation($input: AlertRuleInput!) {{ createAlertRule(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: AlertRuleInput!) {{
  updateAlertRule(id: $id, input: $input) {{ {FIELDS} }} }}"""
LIST = f"query($status: AlertRuleStatus, $t: String) {{ alertRules(status: $status, tenantId: $t) {{ {FIELDS} }} }}"  # noqa: E501


def one(action: str) -> str:
    return f"mutation($id: ID!, $t: String) {{ {action}(id: $id, tenantId: $t) {{ id status }} }}"


def refusal(error: dict[str, Any]) -> tuple[str, str]:
    return error["extensions"]["code"], error["extensions"]["field"]


class NoFirings:
    """A ClickHouse whose alert history is empty: rules come from Kafka, only lastFiredAt reads
    ClickHouse."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        assert "FROM alert_events" in sql, "alert rules read Kafka, not ClickHouse"
        return []


@pytest.fixture
def api(alert_settings: Settings, kafka: str) -> Iterator[tuple[TestClient, Settings, str, str]]:
    """The API over the test's topics, with one e-mail destination for acme and one for globex."""
    settings = replace(
        alert_settings, api=replace(alert_settings.api, jwt_secret="test-secret-" + "x" * 32)
    )
    apply_topics(settings)
    producer = acknowledged_producer(settings.kafka)
    topic = settings.topic("alerts.destinations")
    mine = new_destination("acme", "email", addresses=("ops@acme.example",))
    theirs = new_destination("globex", "email", addresses=("ops@globex.example",))
    for made in (mine, theirs):
        publish_destination(producer, topic, made)
    book = RuleBook.open(settings, follow=True)
    try:
        app = create_app(settings, NoFirings(), MemoryStore(), kafka_up, alert_rules=book)
        with TestClient(app) as client:
            yield client, settings, mine.destination_id, theirs.destination_id
    finally:
        book.close()


def rule_input(destination: str, **changes: Any) -> dict[str, Any]:
    given: dict[str, Any] = {
        "name": "urgent breaches",
        "type": "SLA_BREACH_RATE",
        "metric": "sla_breached",
        "window": "15m",
        "condition": {"op": "ABOVE", "value": 5},
        "filter": {"priority": "urgent"},
        "recovery": 2,
        "pendingSeconds": 60,
        "destinations": [destination],
    }
    given.update(changes)
    return given


def test_the_tenant_creates_lists_updates_pauses_resumes_and_deletes_its_rule(
    api: tuple[TestClient, Settings, str, str],
) -> None:
    """Each mutation answers the rule as stored; alertRules lists it by status; lastFiredAt
    stays null (nothing fired)."""
    client, settings, mine, _ = api
    bearer = token(settings, "acme")
    made = graphql(client, CREATE, {"input": rule_input(mine)}, bearer)["data"]["createAlertRule"]
    assert made["tenantId"] == "acme" and made["status"] == "ACTIVE"
    assert made["filter"] == {"orgUnit": None, "channel": None, "priority": "urgent"}
    assert made["lastFiredAt"] is None and made["noData"] == "KEEP"
    assert graphql(client, LIST, {}, bearer)["data"]["alertRules"] == [made]
    changed_input = rule_input(mine, window="1h", condition={"op": "BELOW", "value": 1})
    changed_input.update(recovery=None, noData="RESOLVE")
    body = graphql(client, UPDATE, {"id": made["id"], "input": changed_input}, bearer)
    changed = body["data"]["updateAlertRule"]
    assert changed["window"] == "1h" and changed["condition"]["op"] == "BELOW"
    assert changed["id"] == made["id"] and changed["noData"] == "RESOLVE"
    paused = graphql(client, one("pauseAlertRule"), {"id": made["id"]}, bearer)["data"]
    assert paused["pauseAlertRule"]["status"] == "PAUSED"
    assert graphql(client, LIST, {"status": "ACTIVE"}, bearer)["data"]["alertRules"] == []
    resumed = graphql(client, one("resumeAlertRule"), {"id": made["id"]}, bearer)["data"]
    assert resumed["resumeAlertRule"]["status"] == "ACTIVE"
    graphql(client, one("deleteAlertRule"), {"id": made["id"]}, bearer)
    assert graphql(client, LIST, {}, bearer)["data"]["alertRules"] == []


def test_another_tenants_token_is_forbidden_and_its_rules_unknown(
    api: tuple[TestClient, Settings, str, str],
) -> None:
    """globex may not name acme (FORBIDDEN) and cannot reach acme's rule by id; nothing without
    a token."""
    client, settings, mine, _ = api
    acme, globex = token(settings, "acme"), token(settings, "globex")
    made = graphql(client, CREATE, {"input": rule_input(mine)}, acme)["data"]["createAlertRule"]
    for query, variables in [
        (CREATE, {"input": rule_input(mine, tenantId="acme")}),
        (LIST, {"t": "acme"}),
        (one("pauseAlertRule"), {"id": made["id"], "t": "acme"}),
        (one("deleteAlertRule"), {"id": made["id"], "t": "acme"}),
    ]:
        (error,) = graphql(client, query, variables, globex)["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
    (error,) = graphql(client, one("deleteAlertRule"), {"id": made["id"]}, globex)["errors"]
    assert refusal(error) == ("INVALID_ARGUMENT", "id")
    assert graphql(client, LIST, {}, globex)["data"]["alertRules"] == []
    (error,) = graphql(client, LIST, {})["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert graphql(client, LIST, {}, acme)["data"]["alertRules"][0]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"metric": "nope"}, "metric"),
        ({"type": "THRESHOLD", "metric": "page_views"}, "filter.priority"),
        ({"filter": {"orgUnit": "s1"}, "metric": "automation_failed"}, "type"),
        ({"window": "8d"}, "window"),
        ({"window": "30s"}, "window"),
        ({"recovery": 6}, "recovery"),
        ({"condition": {"op": "ANOMALY", "k": 3, "weeks": 4}}, "condition.op"),
        ({"pendingSeconds": -5}, "pendingSeconds"),
        ({"destinations": ["dst_nowhere"]}, "destinations"),
    ],
)
def test_an_invalid_rule_is_an_invalid_argument_naming_the_field(
    api: tuple[TestClient, Settings, str, str], changes: dict[str, Any], field: str
) -> None:
    """The model's refusal reaches the client unmasked, with the field as the API spells it."""
    client, settings, mine, _ = api
    body = graphql(client, CREATE, {"input": rule_input(mine, **changes)}, token(settings))
    (error,) = body["errors"]
    assert refusal(error) == ("INVALID_ARGUMENT", field)
    assert field in error["message"]


def test_another_tenants_destination_is_refused(
    api: tuple[TestClient, Settings, str, str],
) -> None:
    """A rule of acme naming globex's destination is refused and not stored."""
    client, settings, _, theirs = api
    bearer = token(settings, "acme")
    (error,) = graphql(client, CREATE, {"input": rule_input(theirs)}, bearer)["errors"]
    assert refusal(error) == ("INVALID_ARGUMENT", "destinations")
    assert graphql(client, LIST, {}, bearer)["data"]["alertRules"] == []


def test_without_the_alert_topics_the_api_serves_on_and_the_rule_fields_say_unavailable(
    alert_settings: Settings, kafka: str
) -> None:
    """open_alert_rules gives None when alerts.rules is missing; alertRules then answers
    UNAVAILABLE, naming the command that creates the topics."""
    settings = replace(
        alert_settings, api=replace(alert_settings.api, jwt_secret="test-secret-" + "x" * 32)
    )
    assert open_alert_rules(settings) is None
    app = create_app(settings, NoFirings(), MemoryStore(), kafka_up)
    with TestClient(app) as client:
        (error,) = graphql(client, LIST, {}, token(settings))["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "pulse topics apply" in error["extensions"]["suggestion"]
