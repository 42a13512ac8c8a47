"""API keys: made with their kind's prefix, stored only as a hash, round-tripped as JSON."""

from __future__ import annotations

import hashlib

import pytest

from pulse.collector.collect_cli import check_settings
from pulse.collector.errors import KeyStoreError
from pulse.collector.keys import ApiKey, new_key
from pulse.errors import ConfigError
from pulse.settings import CollectorSettings


def test_a_server_key_is_prefixed_and_only_its_sha256_is_kept() -> None:
    """A server key starts with pk_ and its record holds the SHA-256 of it, never the key."""
    secret, record = new_key("acme", "server")
    assert secret.startswith("pk_") and len(secret) > 40
    assert record.sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in record.to_json().decode()


def test_a_site_key_needs_origins_and_keeps_them() -> None:
    """A site key starts with ps_ and carries its allowed origins through JSON."""
    secret, record = new_key("acme", "site", ("https://shop.example",))
    assert secret.startswith("ps_")
    assert ApiKey.from_json(record.to_json()) == record
    with pytest.raises(KeyStoreError):
        new_key("acme", "site")


@pytest.mark.parametrize("origin", ["shop.example", "https://shop.example/", "ftp://x", ""])
def test_an_origin_that_is_no_scheme_and_host_is_refused(origin: str) -> None:
    """Only scheme://host[:port] can be an allowed origin (what a browser sends in Origin)."""
    with pytest.raises(KeyStoreError):
        new_key("acme", "site", (origin,))


def test_a_revoked_record_keeps_its_first_revocation_instant() -> None:
    """Revoking twice keeps the first instant; a revoked key is not active."""
    _, record = new_key("acme", "server")
    once = record.revoked(1000)
    assert not once.active and once.revoked(2000).revoked_ms == 1000


def test_a_malformed_record_is_a_key_store_error() -> None:
    """A record that is not a key's JSON raises KeyStoreError, not a KeyError or ValueError."""
    for raw in (b"nope", b"{}", b'{"kind": "root"}'):
        with pytest.raises(KeyStoreError):
            ApiKey.from_json(raw)


def test_a_burst_below_a_full_bulk_is_a_config_error() -> None:
    """PULSE_COLLECTOR_BURST below MAX_BULK_EVENTS is refused: a full bulk could never pass."""
    with pytest.raises(ConfigError):
        check_settings(CollectorSettings(burst=10, max_bulk_events=11))
    check_settings(CollectorSettings(burst=11, max_bulk_events=11))
