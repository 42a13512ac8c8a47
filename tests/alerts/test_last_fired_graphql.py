"""AlertRule.lastFiredAt: the newest firing of each rule in the history, read once per listing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.alerts.destinations import new_destination, publish_destination
from pulse.alerts.rule_book import RuleBook
from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.compacted import acknowledged_producer
from tests.alerts.conftest import apply_topics
from tests.alerts.history_rows import RESOLVED, TRIGGERED, alert_event, insert_history
from tests.alerts.rule_samples import rule
from tests.alerts.test_history_graphql import T0, iso
from tests.graphql.conftest import MemoryStore, graphql, kafka_up, token

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

MIN = 60_000
CREATE = """mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }"""
LIST = "{ alertRules { id lastFiredAt } }"


class CountingReads:
    """The test's chdb, counting the statements that read the alert history."""

    def __init__(self, db: ClickHouse) -> None:
        self.db = db
        self.history_reads = 0

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        self.history_reads += "alert_events" in sql
        return self.db.query(sql, params)


@pytest.fixture
def api(
    alert_settings: Settings, kafka: str, db: ClickHouse
) -> Iterator[tuple[TestClient, Settings, CountingReads, str]]:
    """The API over the test's topics and chdb, with one e-mail destination of acme."""
    settings = replace(
        alert_settings, api=replace(alert_settings.api, jwt_secret="test-secret-" + "x" * 32)
    )
    apply_topics(settings)
    mine = new_destination("acme", "email", addresses=("ops@acme.example",))
    publish_destination(
        acknowledged_producer(settings.kafka), settings.topic("alerts.destinations"), mine
    )
    reads = CountingReads(db)
    book = RuleBook.open(settings, follow=True)
    try:
        app = create_app(settings, reads, MemoryStore(), kafka_up, alert_rules=book)
        with TestClient(app) as client:
            yield client, settings, reads, mine.destination_id
    finally:
        book.close()


def test_last_fired_at_is_the_newest_firing_read_once_per_listing(
    api: tuple[TestClient, Settings, CountingReads, str], db: ClickHouse
) -> None:
    """A rule that fired twice shows its newest firing (not its later resolution), one that
    never fired shows null, and the listing reads the history once for all its rules."""
    client, settings, reads, destination = api
    bearer = token(settings, "acme")
    made = []
    for name in ("fired", "quiet", "also quiet"):
        given = {
            "name": name,
            "type": "THRESHOLD",
            "metric": "sla_breached",
            "window": "15m",
            "condition": {"op": "ABOVE", "value": 5},
            "destinations": [destination],
        }
        body = graphql(client, CREATE, {"input": given}, bearer)
        made.append(body["data"]["createAlertRule"]["id"])
    snapshot = rule(rule_id=made[0])
    insert_history(
        db,
        [
            alert_event(snapshot, "msg_1", TRIGGERED, T0, T0, 7.0),
            alert_event(snapshot, "msg_2", RESOLVED, T0, T0 + 5 * MIN, 1.0),
            alert_event(snapshot, "msg_3", TRIGGERED, T0 + 20 * MIN, T0 + 20 * MIN, 8.0),
            alert_event(snapshot, "msg_4", RESOLVED, T0 + 20 * MIN, T0 + 40 * MIN, 2.0),
        ],
        [],
    )
    reads.history_reads = 0
    listed = graphql(client, LIST, {}, bearer)["data"]["alertRules"]
    assert {r["id"]: r["lastFiredAt"] for r in listed} == {
        made[0]: iso(T0 + 20 * MIN),
        made[1]: None,
        made[2]: None,
    }
    assert reads.history_reads == 1
