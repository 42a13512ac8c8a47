"""Settings are built from PULSE_* variables, and written back to them for child processes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pulse.errors import ConfigError
from pulse.settings import Settings


def test_to_env_round_trips_through_from_env() -> None:
    """Every field survives Settings → PULSE_* variables → Settings."""
    base = Settings()
    settings = replace(
        base,
        kafka=replace(base.kafka, topic_prefix="t1", partitions=7),
        stream=replace(base.stream, data_dir=Path("/tmp/x"), fetch_bytes=4096),
        log_level="DEBUG",
    )
    assert Settings.from_env(settings.to_env()) == settings


def test_a_malformed_number_is_a_config_error_naming_the_variable() -> None:
    """A non-integer partition count is refused with the variable's name."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PULSE_KAFKA_PARTITIONS": "four"})
    assert caught.value.fields["var"] == "PULSE_KAFKA_PARTITIONS"
