"""The tenant setting ``engaged_events``: web.event names that make a session engaged."""

from __future__ import annotations

import argparse

import pytest

from pulse.topics.errors import TenantSettingsError
from pulse.topics.tenants import TenantSettings
from pulse.topics.tenants_cli import add_arguments, describe


def test_engaged_events_round_trip_through_json() -> None:
    """Names are kept sorted and unique, and read back from the topic's JSON."""
    tenant = TenantSettings("Europe/Lisbon", engaged_events=("signup", "play", "signup"))
    assert tenant.engaged_events == ("play", "signup")
    assert TenantSettings.from_json(tenant.to_json()) == tenant


def test_records_without_engaged_events_read_as_none() -> None:
    """A record written before the setting existed has no engaged names."""
    assert TenantSettings.from_json(b'{"timezone": "UTC"}').engaged_events == ()


@pytest.mark.parametrize("raw", [b'{"engaged_events": "signup"}', b'{"engaged_events": [""]}'])
def test_malformed_engaged_events_are_refused(raw: bytes) -> None:
    """A string instead of a list, or an empty name, is a settings error naming the field."""
    with pytest.raises(TenantSettingsError) as caught:
        TenantSettings.from_json(raw)
    assert caught.value.fields["field"] == "engaged_events"


def test_the_cli_takes_and_lists_engaged_events() -> None:
    """`pulse tenants set … --engaged-events a,b` parses, and `list` shows the names."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["set", "acme", "--timezone", "UTC", "--engaged-events", "a,b"])
    assert args.engaged_events == "a,b"
    shown = describe(TenantSettings(engaged_events=("a", "b")))
    assert shown.endswith("engaged_events=a,b")
