"""SLA targets: the duration parser, the --sla syntax and their JSON on the tenants topic."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.topics.errors import TenantSettingsError
from pulse.topics.sla import format_duration, parse_duration, parse_sla
from pulse.topics.tenants import TenantSettings

UNITS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
YEAR_MS = 365 * 86_400_000
DEFAULTS = {"urgent": 900_000, "high": 3_600_000, "normal": 14_400_000, "low": 86_400_000}


@given(st.sampled_from(sorted(UNITS)), st.integers(min_value=1, max_value=10**6))
def test_a_number_and_a_unit_is_that_many_units(unit: str, amount: int) -> None:
    """`<n><unit>` is n times the unit in milliseconds, or refused past a year."""
    expected = amount * UNITS[unit]
    if expected > YEAR_MS:
        with pytest.raises(TenantSettingsError):
            parse_duration(f"{amount}{unit}")
    else:
        assert parse_duration(f"{amount}{unit}") == expected


@given(st.integers(min_value=1, max_value=YEAR_MS // 1000))
def test_format_then_parse_gives_back_the_milliseconds(seconds: int) -> None:
    """Every whole number of seconds up to a year survives format_duration → parse_duration."""
    assert parse_duration(format_duration(seconds * 1000)) == seconds * 1000


@given(st.text(max_size=12))
def test_anything_else_is_refused(text: str) -> None:
    """A string that is not digits and one of s, m, h, d is a TenantSettingsError."""
    if re.fullmatch(r"[0-9]{1,12}[smhd]", text.strip()):
        return
    with pytest.raises(TenantSettingsError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["", "10", "m", "1.5h", "-1m", "0s", "10 m", "1w", "10M", "1e3s"])
def test_examples_of_bad_durations(text: str) -> None:
    """Units other than s/m/h/d, fractions, signs, zero and bare numbers are refused."""
    with pytest.raises(TenantSettingsError, match=r"duration|at most"):
        parse_duration(text)


def test_sla_sets_the_named_priorities_and_defaults_the_rest() -> None:
    """`urgent=10m,high=30m` changes those two and leaves normal and low at METRICS.md's."""
    assert parse_sla("urgent=10m, high=30m") == {**DEFAULTS, "urgent": 600_000, "high": 1_800_000}
    assert parse_sla("urgent=10m,high=30m,normal=2h,low=8h") == {
        "urgent": 600_000,
        "high": 1_800_000,
        "normal": 7_200_000,
        "low": 28_800_000,
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("critical=10m", "unknown priority 'critical'"),
        ("urgent", "write priority=duration"),
        ("urgent=10x", "bad duration '10x'"),
        ("urgent=10m,urgent=5m", "named twice"),
    ],
)
def test_bad_sla_items_are_named(text: str, reason: str) -> None:
    """An unknown priority, a missing '=', a bad duration or a repeat is a clear error."""
    with pytest.raises(TenantSettingsError, match=reason):
        parse_sla(text)


def test_settings_without_sla_read_as_the_defaults() -> None:
    """A record written before SLA targets existed reads with METRICS.md's default targets."""
    tenant = TenantSettings.from_json(b'{"timezone": "Europe/Lisbon"}')
    assert tenant.timezone == "Europe/Lisbon"
    assert dict(tenant.sla_ms) == DEFAULTS


def test_settings_with_sla_round_trip_through_json() -> None:
    """Custom targets survive to_json/from_json, and a partial sla object keeps the defaults."""
    tenant = TenantSettings("Asia/Kolkata", {"urgent": 600_000, "low": 28_800_000})
    assert dict(tenant.sla_ms) == {**DEFAULTS, "urgent": 600_000, "low": 28_800_000}
    assert TenantSettings.from_json(tenant.to_json()) == tenant
    assert hash(TenantSettings.from_json(tenant.to_json())) == hash(tenant)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"sla": []}',
        b'{"sla": {"critical": 1000}}',
        b'{"sla": {"urgent": "10m"}}',
        b'{"sla": {"urgent": 1.5}}',
        b'{"sla": {"urgent": true}}',
        b'{"sla": {"urgent": 0}}',
        b'{"sla": {"urgent": 99999999999999999}}',
    ],
)
def test_malformed_sla_values_are_refused(raw: bytes) -> None:
    """sla must map known priorities to positive integer milliseconds up to a year."""
    with pytest.raises(TenantSettingsError) as caught:
        TenantSettings.from_json(raw)
    assert caught.value.fields["field"] == "sla"
