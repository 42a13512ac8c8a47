"""Public site keys: web.* events only, from their allowed origins, with CORS for browsers."""

from __future__ import annotations

import json

import pytest

from tests.collector.conftest import SHOP, Running, message_event, page_view
from tests.collector.test_collect import published

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


def test_a_site_key_in_the_query_sends_page_views_from_its_origin(collector: Running) -> None:
    """sendBeacon's way: ?key=ps_…, a text/plain body, Origin allowed → 200 with CORS headers."""
    secret = collector.keys.secrets["site"]
    event = page_view()
    answer = collector.client.post(
        f"/v1/events?key={secret}",
        content=json.dumps(event),
        headers={"Origin": SHOP, "Content-Type": "text/plain;charset=UTF-8"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP
    assert [e["event_id"] for e in published(collector)] == [event["event_id"]]


def test_a_site_key_from_another_origin_is_403(collector: Running) -> None:
    """The same key from an origin it does not list, or with none, is refused 403."""
    headers = {"X-Pulse-Key": collector.keys.secrets["site"]}
    for origin in ({"Origin": "https://evil.example"}, {}):
        answer = collector.client.post("/v1/events", json=page_view(), headers=headers | origin)
        assert answer.status_code == 403 and answer.json()["error"] == "origin_not_allowed"
        assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_site_key_sends_web_events_only(collector: Running) -> None:
    """A message.sent under a site key is rejected (field event_type); page views pass."""
    headers = {"X-Pulse-Key": collector.keys.secrets["site"], "Origin": SHOP}
    batch = [page_view(), message_event()]
    answer = collector.client.post("/v1/events/bulk", json=batch, headers=headers)
    assert answer.status_code == 207
    fates = answer.json()["results"]
    assert fates[0]["status"] == "accepted"
    assert (fates[1]["field"], fates[1]["reason"]) == ("event_type", "not_allowed_for_site_key")


def test_a_preflight_from_an_allowed_origin_is_allowed(collector: Running) -> None:
    """OPTIONS from a site key's origin gets 204 with the allowed method and headers."""
    answer = collector.client.options(
        "/v1/events",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-pulse-key",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == SHOP
    assert answer.headers["Access-Control-Allow-Methods"] == "POST"
    assert "x-pulse-key" in answer.headers["Access-Control-Allow-Headers"]


def test_a_preflight_from_another_origin_is_refused(collector: Running) -> None:
    """OPTIONS from an origin no site key lists (or the key in ?key= does not) gets 403."""
    secret = collector.keys.secrets["site"]
    for url, origin in (
        ("/v1/events", "https://evil.example"),
        (f"/v1/events/bulk?key={secret}", "https://evil.example"),
        (f"/v1/events?key={collector.keys.secrets['acme']}", SHOP),
    ):
        answer = collector.client.options(
            url, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert answer.status_code == 403
        assert "Access-Control-Allow-Origin" not in answer.headers
