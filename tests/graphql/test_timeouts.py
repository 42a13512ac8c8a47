"""Timeouts: ClickHouse's max_execution_time on every API read and the operation's deadline,
each reaching the client as TIMEOUT."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.graphql.errors import QueryTimeoutError
from pulse.graphql.timeouts import TimedReader, with_time_limit
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.graphql.conftest import MemoryStore, graphql, kafka_up, token

pytestmark = [pytest.mark.clickhouse, pytest.mark.redis]

HEAVY = "SELECT count() AS n FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 1"
QUERY = """
{ messagingMetrics(from: "2025-03-10T00:00:00Z", to: "2025-03-11T00:00:00Z", granularity: DAY) {
    buckets { sent } } }
"""


class HeavyReader:
    """A ClickHouse whose every read is a long scan, under the SETTINGS the API gave it."""

    def __init__(self, db: ClickHouse) -> None:
        self.db = db

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.db.query(HEAVY + sql[sql.rindex("\nSETTINGS") :])


class SleepyReader:
    """A ClickHouse that answers nothing for two seconds."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        time.sleep(2)
        return []


def test_the_time_limit_joins_a_trailing_settings_clause() -> None:
    """A statement ending in SETTINGS gets the limit added to it; others get a clause."""
    assert with_time_limit("SELECT 1;", 2.5) == "SELECT 1\nSETTINGS max_execution_time = 2.5"
    ending = "SELECT 1 FROM t FINAL SETTINGS do_not_merge_across_partitions_select_final = 1"
    assert with_time_limit(ending, 3) == ending + ", max_execution_time = 3"
    inner = "SELECT * FROM (SELECT 1 SETTINGS max_threads = 1) WHERE 1"
    assert with_time_limit(inner, 3) == inner + "\nSETTINGS max_execution_time = 3"


def test_clickhouse_stops_a_read_over_its_time_limit(clickhouse: ClickHouse) -> None:
    """A scan of 10^11 rows under a 0.3 s limit is stopped by ClickHouse: QueryTimeoutError."""
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError) as refused:
        TimedReader(clickhouse, 0.3).query(HEAVY)
    assert time.monotonic() - started < 5
    assert refused.value.code == "timeout" and refused.value.fields["limit_seconds"] == 0.3


def test_a_clickhouse_timeout_reaches_the_client_as_timeout(
    settings: Settings, clickhouse: ClickHouse, redis_url: str
) -> None:
    """Through the app, a read ClickHouse stops at PULSE_API_CLICKHOUSE_TIMEOUT_SECONDS is a
    TIMEOUT error naming the setting, not an internal error."""
    limited = replace(settings, api=replace(settings.api, clickhouse_timeout_seconds=0.3))
    app = create_app(limited, HeavyReader(clickhouse), MemoryStore(), kafka_up)
    with TestClient(app) as client:
        body = graphql(client, QUERY, bearer=token(settings))
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert error["extensions"]["setting"] == "PULSE_API_CLICKHOUSE_TIMEOUT_SECONDS"


def test_an_operation_over_its_deadline_is_answered_timeout(
    settings: Settings, redis_url: str
) -> None:
    """A resolver still waiting at PULSE_API_OPERATION_TIMEOUT_SECONDS: TIMEOUT, answered at
    the deadline rather than when the read ends."""
    limited = replace(settings, api=replace(settings.api, operation_timeout_seconds=0.3))
    app = create_app(limited, SleepyReader(), MemoryStore(), kafka_up)
    with TestClient(app) as client:
        started = time.monotonic()
        body = graphql(client, QUERY, bearer=token(settings))
        answered = time.monotonic() - started
    assert answered < 1.5
    assert body["data"] == {"messagingMetrics": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert error["extensions"]["limit_seconds"] == 0.3
    assert error["extensions"]["setting"] == "PULSE_API_OPERATION_TIMEOUT_SECONDS"
