"""Fault points fire once, at the configured point's n-th hit, after leaving a marker."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulse.errors import ConfigError
from pulse.faults import SINK_AFTER_INSERT, SINK_AFTER_OFFSETS_SAVED, FaultPoints
from pulse.settings import FaultSettings, Settings


class Kills:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def test_no_point_set_never_kills() -> None:
    """With the default settings every hit passes."""
    kills = Kills()
    faults = FaultPoints(FaultSettings(), kill=kills)
    for _ in range(10):
        faults.hit(SINK_AFTER_INSERT)
    assert kills.count == 0


def test_the_point_fires_on_its_nth_hit_and_marks_the_file_first(tmp_path: Path) -> None:
    """Other points' hits do not count; the n-th hit of the point writes its name, then kills."""
    marker = tmp_path / "marker"
    kills = Kills()
    settings = FaultSettings(point=SINK_AFTER_INSERT, after=3, marker=str(marker))
    faults = FaultPoints(settings, kill=kills)
    for _ in range(5):
        faults.hit(SINK_AFTER_OFFSETS_SAVED)
    faults.hit(SINK_AFTER_INSERT)
    faults.hit(SINK_AFTER_INSERT)
    assert kills.count == 0
    assert not marker.exists()
    faults.hit(SINK_AFTER_INSERT)
    assert kills.count == 1
    assert marker.read_text() == SINK_AFTER_INSERT + "\n"


def test_an_unknown_point_is_a_config_error() -> None:
    """A misspelt point name is refused at start-up rather than never firing."""
    with pytest.raises(ConfigError) as caught:
        FaultPoints(FaultSettings(point="sink.after_insrt"))
    assert caught.value.fields["var"] == "PULSE_FAULT_POINT"


def test_fault_settings_come_from_pulse_fault_variables() -> None:
    """PULSE_FAULT_POINT, _AFTER and _MARKER build the fault section."""
    env = {"PULSE_FAULT_POINT": "worker.after_handoff_flush", "PULSE_FAULT_AFTER": "4"}
    settings = Settings.from_env({**env, "PULSE_FAULT_MARKER": "/tmp/m"})
    assert settings.fault == FaultSettings("worker.after_handoff_flush", 4, "/tmp/m")
