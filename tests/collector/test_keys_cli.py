"""`pulse keys create|list|revoke` against the real broker, and the collector's directory."""

from __future__ import annotations

import pytest

from pulse.collector.key_directory import KeyDirectory
from pulse.settings import Settings
from tests.e2e.harness import pulse

pytestmark = [pytest.mark.kafka]


def test_create_list_revoke_and_the_directory_follows(settings: Settings, kafka: str) -> None:
    """A created key is found by the directory; list shows it; revoke marks it, not deletes it."""
    pulse(settings, "topics", "apply")
    created = pulse(settings, "keys", "create", "acme").stdout.splitlines()[0]
    key_id, kind, secret = created.split("\t")
    assert kind == "server" and secret.startswith("pk_")
    site = pulse(settings, "keys", "create", "acme", "--site", "--origin", "https://a.example")
    site_id = site.stdout.split("\t")[0]
    listed = pulse(settings, "keys", "list", "acme").stdout
    assert key_id in listed and site_id in listed and "https://a.example" in listed
    assert secret not in listed
    assert pulse(settings, "keys", "list", "globex").stdout == ""
    with KeyDirectory.from_settings(settings) as directory:
        directory.start()
        directory.wait_until_caught_up(30)
        found = directory.lookup(secret)
        assert found is not None and found.tenant_id == "acme" and found.active
        assert directory.lookup(secret + "x") is None
        assert directory.site_origins() == {"https://a.example"}
        pulse(settings, "keys", "revoke", "acme", key_id)
        directory.wait_until_caught_up(30)
        revoked = directory.lookup(secret)
        assert revoked is not None and not revoked.active
    assert "revoked" in pulse(settings, "keys", "list", "acme").stdout


def test_revoking_another_tenants_key_fails_and_changes_nothing(
    settings: Settings, kafka: str
) -> None:
    """`revoke globex <acme's key>` exits 1 naming the key; the key stays active."""
    pulse(settings, "topics", "apply")
    key_id = pulse(settings, "keys", "create", "acme").stdout.split("\t")[0]
    refused = pulse(settings, "keys", "revoke", "globex", key_id, check=False)
    assert refused.returncode == 1 and key_id in refused.stderr
    assert "active" in pulse(settings, "keys", "list", "acme").stdout
