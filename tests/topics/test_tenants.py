"""Tenant settings: validated on write, published to the compacted topic, read back."""

from __future__ import annotations

import argparse
import time
import zoneinfo

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from hypothesis import given
from hypothesis import strategies as st

from pulse.settings import Settings
from pulse.topics import cli, tenants_cli
from pulse.topics.declarations import DEFAULT_PATH
from pulse.topics.errors import TenantSettingsError, TopicsError
from pulse.topics.tenants import TenantDirectory, TenantSettings, publish_tenant

ZONES = sorted(zoneinfo.available_timezones())


@given(st.sampled_from(ZONES))
def test_settings_round_trip_through_json(zone: str) -> None:
    """Every IANA zone survives to_json/from_json unchanged."""
    assert TenantSettings.from_json(TenantSettings(zone).to_json()) == TenantSettings(zone)


@pytest.mark.parametrize("zone", ["", "Foo/Bar", "utc", "../etc/passwd", "America"])
def test_unknown_zone_is_refused(zone: str) -> None:
    """A name zoneinfo does not know is a TenantSettingsError on field timezone."""
    with pytest.raises(TenantSettingsError) as caught:
        TenantSettings(zone)
    assert caught.value.fields["field"] == "timezone"


@pytest.mark.parametrize("raw", [b"{", b"[]", b'{"timezone": 3}', b'{"timezone": "Mars/Base"}'])
def test_malformed_values_are_refused(raw: bytes) -> None:
    """Values that are not a JSON object with a valid zone do not parse."""
    with pytest.raises(TenantSettingsError):
        TenantSettings.from_json(raw)


def test_missing_zone_defaults_to_utc() -> None:
    """An object without timezone means the default zone."""
    assert TenantSettings.from_json(b"{}").timezone == "UTC"


@pytest.fixture
def topics(settings: Settings, admin: AdminClient) -> str:
    """The declared topics exist; returns the full name of the tenants topic."""
    assert cli.run(argparse.Namespace(action="apply", file=DEFAULT_PATH), settings) == 0
    return settings.topic("tenants")


@pytest.mark.kafka
def test_published_settings_are_read_back(settings: Settings, topics: str) -> None:
    """The latest write per tenant wins; tenants never written default to UTC."""
    publish_tenant(settings.kafka, topics, "acme", TenantSettings("America/New_York"))
    publish_tenant(settings.kafka, topics, "globex", TenantSettings("Asia/Kolkata"))
    publish_tenant(settings.kafka, topics, "acme", TenantSettings("Europe/Lisbon"))
    with TenantDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(timeout=15)
        assert directory.timezone("acme") == "Europe/Lisbon"
        assert directory.timezone("globex") == "Asia/Kolkata"
        assert directory.timezone("nobody") == "UTC"


@pytest.mark.kafka
def test_tombstones_reset_and_bad_records_are_skipped(settings: Settings, topics: str) -> None:
    """A null value returns a tenant to UTC; an invalid record keeps the last good settings."""
    publish_tenant(settings.kafka, topics, "acme", TenantSettings("Europe/Lisbon"))
    publish_tenant(settings.kafka, topics, "globex", TenantSettings("Asia/Kolkata"))
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    producer.produce(topics, key=b"acme", value=None)
    producer.produce(topics, key=b"globex", value=b'{"timezone": "Mars/Base"}')
    assert producer.flush(10) == 0
    with TenantDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(timeout=15)
        assert directory.timezone("acme") == "UTC"
        assert directory.timezone("globex") == "Asia/Kolkata"
        assert set(directory.snapshot()) == {"globex"}


@pytest.mark.kafka
def test_background_mode_follows_later_updates(settings: Settings, topics: str) -> None:
    """A started directory sees settings published after it caught up."""
    with TenantDirectory.from_settings(settings) as directory:
        directory.start()
        directory.wait_until_caught_up(timeout=15)
        assert directory.timezone("acme") == "UTC"
        publish_tenant(settings.kafka, topics, "acme", TenantSettings("Europe/Lisbon"))
        directory.wait_until_caught_up(timeout=15)
        assert directory.timezone("acme") == "Europe/Lisbon"


@pytest.mark.kafka
def test_poll_updates_applies_new_records(settings: Settings, topics: str) -> None:
    """Without a thread, poll_updates pulls in what was published meanwhile."""
    with TenantDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(timeout=15)
        publish_tenant(settings.kafka, topics, "acme", TenantSettings("Asia/Tokyo"))
        deadline = time.monotonic() + 15
        while directory.timezone("acme") != "Asia/Tokyo" and time.monotonic() < deadline:
            directory.poll_updates(timeout=0.2)
        assert directory.timezone("acme") == "Asia/Tokyo"


@pytest.mark.kafka
def test_cli_sets_and_lists(
    settings: Settings, topics: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pulse tenants set` writes the zone and `pulse tenants list` shows it."""
    args = argparse.Namespace(action="set", tenant_id="acme", timezone="Europe/Lisbon")
    assert tenants_cli.run(args, settings) == 0
    assert tenants_cli.run(argparse.Namespace(action="list"), settings) == 0
    assert "acme\ttimezone=Europe/Lisbon" in capsys.readouterr().out
    with pytest.raises(TenantSettingsError):
        tenants_cli.run(argparse.Namespace(action="set", tenant_id="x", timezone="Nope"), settings)


@pytest.mark.kafka
def test_directory_of_a_missing_topic_fails(settings: Settings, kafka: str) -> None:
    """Reading tenants before the topics exist is a clear TopicsError, not an empty directory."""
    with pytest.raises(TopicsError):
        TenantDirectory.from_settings(settings)


@pytest.mark.kafka
def test_a_dead_follower_thread_is_raised_not_hidden(
    settings: Settings, topics: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the background thread fails, readers get a TopicsError instead of stale zones."""
    publish_tenant(settings.kafka, topics, "acme", TenantSettings("Europe/Lisbon"))
    with TenantDirectory.from_settings(settings) as directory:

        def broken(timeout: float = 0.0) -> int:
            raise RuntimeError("consumer gone")

        monkeypatch.setattr(directory, "poll_updates", broken)
        directory.start()
        with pytest.raises(TopicsError, match="consumer gone"):
            directory.wait_until_caught_up(timeout=5)
        with pytest.raises(TopicsError):
            directory.timezone("acme")


@pytest.mark.kafka
def test_cli_sets_sla_targets_and_lists_them(
    settings: Settings, topics: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tenants set --sla` publishes the named targets, others default; `list` reads them back."""
    parser = argparse.ArgumentParser()
    tenants_cli.add_arguments(parser)
    args = parser.parse_args(
        ["set", "acme", "--timezone", "Europe/Lisbon", "--sla", "urgent=10m,high=30m"]
    )
    assert tenants_cli.run(args, settings) == 0
    assert tenants_cli.run(argparse.Namespace(action="list"), settings) == 0
    listed = "acme\ttimezone=Europe/Lisbon sla=urgent=10m,high=30m,normal=4h,low=1d"
    assert listed in capsys.readouterr().out
    with TenantDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(timeout=15)
        assert dict(directory.settings_for("acme").sla_ms) == {
            "urgent": 600_000,
            "high": 1_800_000,
            "normal": 14_400_000,
            "low": 86_400_000,
        }
    bad = parser.parse_args(["set", "acme", "--timezone", "UTC", "--sla", "critical=1m"])
    with pytest.raises(TenantSettingsError, match="unknown priority 'critical'"):
        tenants_cli.run(bad, settings)


def test_sensitive_fields_and_export_limit_round_trip_through_json() -> None:
    """Sensitive fields and the export limit survive JSON; older records read without them."""
    tenant = TenantSettings(sensitive=("contact_id", "attributes.email", "contact_id"))
    assert tenant.sensitive == ("attributes.email", "contact_id")
    limited = TenantSettings(sensitive=("attributes",), export_row_limit=500)
    for written in (tenant, limited):
        assert TenantSettings.from_json(written.to_json()) == written
    old = TenantSettings.from_json(b'{"timezone": "UTC"}')
    assert (old.sensitive, old.export_row_limit) == ((), None)


def test_names_no_longer_maskable_are_dropped_from_stored_records() -> None:
    """A record marking agent or url sensitive (once allowed) reads with its maskable names only."""
    stored = b'{"timezone": "Europe/Berlin", "sensitive": ["agent", "url", "contact_id"]}'
    tenant = TenantSettings.from_json(stored)
    assert (tenant.timezone, tenant.sensitive) == ("Europe/Berlin", ("contact_id",))


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"sensitive": ("event_id",)}, "sensitive"),
        ({"sensitive": ("channel",)}, "sensitive"),
        ({"sensitive": ("agent_id",)}, "sensitive"),
        ({"sensitive": ("agent",)}, "sensitive"),
        ({"sensitive": ("campaign_id",)}, "sensitive"),
        ({"sensitive": ("name",)}, "sensitive"),
        ({"sensitive": ("url",)}, "sensitive"),
        ({"sensitive": ("entry_page",)}, "sensitive"),
        ({"sensitive": ("referrer",)}, "sensitive"),
        ({"sensitive": ("utm_campaign",)}, "sensitive"),
        ({"sensitive": ("attributes.",)}, "sensitive"),
        ({"sensitive": "contact_id"}, "sensitive"),
        ({"export_row_limit": 0}, "export_row_limit"),
        ({"export_row_limit": True}, "export_row_limit"),
    ],
)
def test_fields_that_cannot_be_masked_and_bad_limits_are_refused(
    given: dict[str, object], field: str
) -> None:
    """A sort key, a value a figure shows, a bad name or limit: TenantSettingsError on its field."""
    with pytest.raises(TenantSettingsError) as caught:
        TenantSettings(**given)  # type: ignore[arg-type]
    assert caught.value.fields["field"] == field


def test_the_smaller_export_limit_wins() -> None:
    """A tenant's limit applies below the API's; above it, or unset, the API's does."""
    assert TenantSettings(export_row_limit=10).export_limit(100) == 10
    assert TenantSettings(export_row_limit=1_000).export_limit(100) == 100
    assert TenantSettings().export_limit(100) == 100


@pytest.mark.kafka
def test_cli_sets_sensitive_fields_and_an_export_limit(
    settings: Settings, topics: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pulse tenants set --sensitive … --export-row-limit N` publishes both; `list` shows them."""
    parser = argparse.ArgumentParser()
    tenants_cli.add_arguments(parser)
    args = parser.parse_args(
        [
            "set",
            "acme",
            "--timezone",
            "UTC",
            "--sensitive",
            "attributes.email, attributes.phone,contact_id",
            "--export-row-limit",
            "5000",
        ]
    )
    assert tenants_cli.run(args, settings) == 0
    with TenantDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(timeout=15)
        tenant = directory.settings_for("acme")
    assert tenant.sensitive == ("attributes.email", "attributes.phone", "contact_id")
    assert tenant.export_row_limit == 5000
    assert tenants_cli.run(argparse.Namespace(action="list"), settings) == 0
    listed = "sensitive=attributes.email,attributes.phone,contact_id export_row_limit=5000"
    assert listed in capsys.readouterr().out


def test_cli_refuses_a_field_a_figure_shows(settings: Settings) -> None:
    """`tenants set --sensitive agent` is a TenantSettingsError naming the field, nothing sent."""
    parser = argparse.ArgumentParser()
    tenants_cli.add_arguments(parser)
    args = parser.parse_args(["set", "acme", "--timezone", "UTC", "--sensitive", "agent"])
    with pytest.raises(TenantSettingsError, match="'agent' cannot be marked sensitive") as caught:
        tenants_cli.run(args, settings)
    assert caught.value.fields == {"field": "sensitive", "name": "agent"}
