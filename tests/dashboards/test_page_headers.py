"""The dashboard page's frame-ancestors setting: which products may frame it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from pulse.dashboards.page_route import page_headers
from pulse.errors import ConfigError
from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.graphql.conftest import MemoryStore, kafka_up

pytestmark = [pytest.mark.clickhouse]


def test_the_page_names_the_products_allowed_to_frame_it(
    settings: Settings, clickhouse: ClickHouse
) -> None:
    """With the setting, the page's CSP ends with those sources as its frame-ancestors."""
    allowed = "https://app.example.com https://*.example.com"
    framed = replace(settings, api=replace(settings.api, embed_frame_ancestors=allowed))
    with TestClient(create_app(framed, clickhouse, MemoryStore(), kafka_up)) as client:
        policy = client.get("/dashboards/abc").headers["content-security-policy"]
    assert policy.endswith(f"; frame-ancestors {allowed}")
    assert "connect-src 'self';" in policy


def test_without_the_setting_any_product_may_frame_the_page() -> None:
    """The default policy has no frame-ancestors directive."""
    assert "frame-ancestors" not in page_headers("")["Content-Security-Policy"]


@pytest.mark.parametrize("value", ["https://a.example; script-src *", "a,b", "'unsafe-inline'"])
def test_a_value_that_would_add_a_directive_is_refused(value: str) -> None:
    """A separator or keyword that is not a source stops the API at start with the setting named."""
    with pytest.raises(ConfigError, match="PULSE_API_EMBED_FRAME_ANCESTORS"):
        page_headers(value)
