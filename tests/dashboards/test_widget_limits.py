"""A dashboard under the API's limits: its widgets share their request's rate token."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from pulse.dashboards.book import DashboardBook
from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.dashboards.conftest import apply_topics, caller, code
from tests.dashboards.test_widgets import SHOW, overview
from tests.graphql.conftest import MemoryStore, kafka_up

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis]


def test_a_dashboards_widgets_take_one_token_of_the_tenants_rate(
    settings: Settings, kafka: str, clickhouse: ClickHouse, redis_url: str
) -> None:
    """With 2 requests allowed, creating a 3-widget dashboard and showing it both pass (each
    widget answered), and the third request is RATE_LIMITED."""
    api = replace(settings.api, rate_per_second=0.01, rate_burst=2)
    limited = replace(settings, api=api)
    apply_topics(limited)
    book = DashboardBook.open(limited)
    try:
        app = create_app(limited, clickhouse, MemoryStore(), kafka_up, dashboards=book)
        with TestClient(app) as client:
            ana = caller(client, limited)
            dashboard_id = overview(client, limited)
            widgets = ana(SHOW, id=dashboard_id)["data"]["dashboard"]["widgets"]
            third = ana(SHOW, id=dashboard_id)
    finally:
        book.close()
    assert len(widgets) == 3
    assert all(w["errors"] == [] and w["data"] is not None for w in widgets)
    assert code(third) == "RATE_LIMITED"
