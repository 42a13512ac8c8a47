"""Privacy at the edge: the IP anonymized and a dnt visitor gone before anything is published."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.collector.client_ip import client_ip, parse_proxies
from pulse.errors import ConfigError
from pulse.settings import Settings
from pulse.streams.privacy import anonymize_ip
from tests.collector.conftest import (
    SHOP,
    Keys,
    Running,
    apply_topics,
    collector_settings,
    page_view,
    running,
)
from tests.collector.test_collect import published
from tests.fuzz.pipeline import read_topics

PROXIES = parse_proxies("198.51.100.0/24, 10.0.0.0/8")


@given(st.ip_addresses(v=4))
def test_ipv4_keeps_its_first_three_octets(ip: ipaddress.IPv4Address) -> None:
    """Any IPv4 address becomes its /24 network address."""
    assert anonymize_ip(str(ip)) == str(ipaddress.IPv4Network(f"{ip}/24", strict=False)[0])


@given(st.ip_addresses(v=6).filter(lambda ip: ip.ipv4_mapped is None))
def test_ipv6_keeps_its_first_48_bits(ip: ipaddress.IPv6Address) -> None:
    """Any IPv6 address becomes its /48 network address (the last 80 bits zeroed)."""
    assert anonymize_ip(str(ip)) == str(ipaddress.IPv6Network(f"{ip}/48", strict=False)[0])


def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    """X-Forwarded-For is read only from a trusted peer, from the right, past trusted hops."""
    xff = "6.6.6.6, 2001:db8:1:2:3:4:5:6, 10.1.2.3"
    assert client_ip("203.0.113.9", xff, PROXIES) == "203.0.113.9"
    assert client_ip("198.51.100.1", xff, PROXIES) == "2001:db8:1:2:3:4:5:6"
    assert client_ip("198.51.100.1", "10.0.0.1, 10.0.0.2", PROXIES) == "10.0.0.1"
    assert client_ip("198.51.100.1", None, PROXIES) == "198.51.100.1"
    assert client_ip(None, xff, PROXIES) == ""


def test_a_bad_trusted_proxy_is_a_config_error() -> None:
    """PULSE_COLLECTOR_TRUSTED_PROXIES with a non-address is refused at start."""
    with pytest.raises(ConfigError):
        parse_proxies("10.0.0.0/8, proxy.internal")


@pytest.fixture
def proxied(settings: Settings, kafka: str, redis_url: str, keys: Keys) -> Iterator[Running]:
    """A collector behind the test client's peer (198.51.100.23) as a trusted proxy."""
    configured = collector_settings(settings, trusted_proxies="198.51.100.0/24, 10.0.0.0/8")
    apply_topics(configured)
    yield from running(configured, keys)


@pytest.mark.kafka
@pytest.mark.redis
def test_ips_are_anonymized_before_kafka(proxied: Running) -> None:
    """The event's own IPv4/IPv6 and, for a site key, the forwarded client's, are anonymized."""
    server = proxied.bearer("acme")
    own_v4 = page_view(ip="192.0.2.201")
    own_v6 = page_view(ip="2001:db8:aaaa:bbbb:cccc::1")
    unparsable = page_view(ip="not an address")
    no_ip = page_view()
    for event in (own_v4, own_v6, unparsable, no_ip):
        assert proxied.client.post("/v1/events", json=event, headers=server).status_code == 200
    site = {"X-Pulse-Key": proxied.keys.secrets["site"], "Origin": SHOP}
    forwarded = page_view()
    answer = proxied.client.post(
        "/v1/events",
        json=forwarded,
        headers=site | {"X-Forwarded-For": "6.6.6.6, 2001:db8:1:2:3:4:5:6, 10.1.2.3"},
    )
    assert answer.status_code == 200
    ips = {e["event_id"]: e["ip"] for e in published(proxied)}
    assert ips == {
        own_v4["event_id"]: "192.0.2.0",
        own_v6["event_id"]: "2001:db8:aaaa::",
        unparsable["event_id"]: None,
        no_ip["event_id"]: None,
        forwarded["event_id"]: "2001:db8:1::",
    }


@pytest.mark.kafka
@pytest.mark.redis
def test_dnt_drops_the_visitor_before_kafka(collector: Running) -> None:
    """With dnt the visitor and session are not published; the event still is (it counts)."""
    event = page_view(dnt=True, session_id="s-secret", visitor_id="v-secret")
    answer = collector.client.post("/v1/events", json=event, headers=collector.bearer("acme"))
    assert answer.status_code == 200
    [stored] = published(collector)
    assert stored["visitor_id"] == event["event_id"] and stored["session_id"] is None
    assert stored["dnt"] is True
    [raw] = read_topics(collector.settings, [collector.settings.topic("events.web")])
    assert b"v-secret" not in raw.value() + raw.key() and b"s-secret" not in raw.value()
