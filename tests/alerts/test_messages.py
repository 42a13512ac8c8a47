"""What a destination receives, the episode's id, the backoff and the URL policy (no services)."""

from __future__ import annotations

import ipaddress
import json
import random
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from pulse.alerts import messages
from pulse.alerts.backoff import retry_after_seconds, wait_after
from pulse.alerts.destinations import Destination, new_destination, new_secret
from pulse.alerts.errors import DestinationError, UnsafeUrlError
from pulse.alerts.notifications import Notification, notification_id
from pulse.alerts.url_safety import UrlPolicy
from pulse.settings import AlertSettings
from tests.alerts.conftest import notification


def test_an_episode_has_one_id_whoever_computes_it() -> None:
    """The id depends on tenant, rule, episode start and kind only: a re-publish keeps it."""
    a = notification_id("acme", "r1", 1000, "analytics.alert.triggered")
    assert a == notification_id("acme", "r1", 1000, "analytics.alert.triggered")
    assert a != notification_id("acme", "r1", 1000, "analytics.alert.resolved")
    assert a != notification_id("acme", "r1", 1001, "analytics.alert.triggered")
    assert a != notification_id("globex", "r1", 1000, "analytics.alert.triggered")


def test_a_notification_survives_its_json() -> None:
    """A notification read back from its record equals the one written."""
    n = notification("d1", "d2")
    assert Notification.from_json(n.to_json()) == n


def test_both_secrets_sign_during_a_rotation_and_either_verifies() -> None:
    """Two signatures during a rotation: the old secret and the new one each verify the body."""
    old, new = new_secret(), new_secret()
    body = messages.webhook_body(notification("d1"))
    headers = messages.signed_headers("msg_1", body, (new, old), datetime.now(UTC))
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["type"] == "analytics.alert.triggered"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_the_webhook_body_is_type_timestamp_and_data() -> None:
    """The body has the Standard Webhooks shape and carries the payload's facts."""
    body = json.loads(messages.webhook_body(notification("d1")))
    assert set(body) == {"type", "timestamp", "data"}
    assert body["data"]["metric"] == "sla_breached" and body["data"]["threshold"] == 5
    assert body["data"]["notification_id"].startswith("msg_")


def test_the_chat_text_names_metric_value_threshold_filter_and_link() -> None:
    """A chat tool shows one text with every fact a person needs, and a link to the rule."""
    text = json.loads(messages.chat_body(notification("d1"), "https://pulse.example/alerts"))[
        "text"
    ]
    for part in ("sla_breached = 7", "threshold 5", "window 15m", "channel=email"):
        assert part in text
    assert "https://pulse.example/alerts/acme/r1" in text


def test_backoff_is_full_jitter_under_an_exponential_bound() -> None:
    """Waits stay within [0, min(max, base·2^(n-1))]; a Retry-After is a floor, capped at max."""
    config = AlertSettings(base_backoff_seconds=1.0, max_backoff_seconds=8.0)
    rng = random.Random(7)
    for attempt, bound in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        waits = [wait_after(config, attempt, None, rng) for _ in range(200)]
        assert min(waits) >= 0 and max(waits) <= bound and max(waits) > bound / 2
    assert wait_after(config, 1, 5.0, rng) >= 5.0
    assert wait_after(config, 1, 3600.0, rng) == 8.0
    assert retry_after_seconds("3", datetime.now(UTC)) == 3.0
    assert retry_after_seconds("soon", datetime.now(UTC)) is None


def test_private_loopback_and_link_local_urls_are_refused_by_default() -> None:
    """Loopback, RFC 1918 and link-local (cloud metadata) addresses are refused; public pass."""
    policy = UrlPolicy()
    for url in (
        "http://127.0.0.1:9/x",
        "http://10.1.2.3/",
        "http://169.254.169.254/",
        "http://[::1]/",
    ):
        with pytest.raises(UnsafeUrlError):
            policy.check_url(url)
    policy.check_url("https://93.184.215.14/hook")


def test_settings_allow_loopback_or_listed_cidrs_only() -> None:
    """allow_loopback lets 127.0.0.1 through but not 10/8; a listed CIDR lets its addresses in."""
    loopback = UrlPolicy.from_settings(AlertSettings(allow_loopback=True))
    loopback.check_url("http://127.0.0.1:9/x")
    with pytest.raises(UnsafeUrlError):
        loopback.check_url("http://10.1.2.3/")
    listed = UrlPolicy.from_settings(AlertSettings(allow_cidrs="10.1.0.0/16"))
    listed.check_address(ipaddress.ip_address("10.1.2.3"), "chat.internal")
    with pytest.raises(UnsafeUrlError):
        listed.check_url("http://127.0.0.1/")


def test_secrets_stay_out_of_a_destinations_repr() -> None:
    """A logged destination shows no secret; a webhook without one is refused."""
    destination = new_destination("acme", "webhook", url="https://example.com/h")
    assert destination.secrets[0] not in repr(destination)
    with pytest.raises(DestinationError):
        Destination("d", "acme", "webhook", url="https://example.com/h")
