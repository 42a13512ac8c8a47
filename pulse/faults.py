"""Named fault points: a crash test makes a process SIGKILL itself at one exact place.

``PULSE_FAULT_POINT`` names the place, ``PULSE_FAULT_AFTER`` the hit that fires (so the kill
lands mid-stream, not on the first batch), and ``PULSE_FAULT_MARKER`` a file the point's name is
appended to first, so the test can tell "killed there" from "died elsewhere". The points sit
between the steps whose order makes exactly-once hold (docs/ARCHITECTURE.md); with no point set
a hit is one ``None`` check.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

from pulse.errors import ConfigError
from pulse.settings import FaultSettings

WORKER_AFTER_CHANGELOG_ACK = "worker.after_changelog_ack"
WORKER_AFTER_HANDOFF_FLUSH = "worker.after_handoff_flush"
SINK_AFTER_INSERT = "sink.after_insert"
SINK_AFTER_OFFSETS_SAVED = "sink.after_offsets_saved"
ALERTS_AFTER_FIRING_STORED = "alerts.after_firing_stored"
POINTS = (
    WORKER_AFTER_CHANGELOG_ACK,
    WORKER_AFTER_HANDOFF_FLUSH,
    SINK_AFTER_INSERT,
    SINK_AFTER_OFFSETS_SAVED,
    ALERTS_AFTER_FIRING_STORED,
)


def _sigkill() -> None:
    # SIGKILL, not an exception or os._exit: no handler, finally block or atexit hook runs, as
    # when the kernel's OOM killer or a node failure ends the process.
    os.kill(os.getpid(), signal.SIGKILL)


class FaultPoints:
    """Kills the process at the configured point's ``after``-th hit; otherwise does nothing."""

    def __init__(self, settings: FaultSettings, kill: Callable[[], None] = _sigkill) -> None:
        if settings.point and settings.point not in POINTS:
            raise ConfigError(
                f"unknown fault point {settings.point!r}", var="PULSE_FAULT_POINT", known=POINTS
            )
        if settings.after < 1:
            raise ConfigError("the fault must fire on a hit ≥ 1", var="PULSE_FAULT_AFTER")
        self._point = settings.point or None
        self._left = settings.after
        self._marker = Path(settings.marker) if settings.marker else None
        self._kill = kill

    def hit(self, point: str) -> None:
        """Passing ``point``: fires if it is the configured one and its turn has come."""
        if self._point is None or point != self._point:
            return
        self._left -= 1
        if self._left > 0:
            return
        if self._marker is not None:
            with self._marker.open("a", encoding="utf-8") as marker:
                marker.write(point + "\n")
        self._kill()
