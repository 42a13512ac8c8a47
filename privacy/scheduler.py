"""Retention on a timer inside ``pulse serve``: one run every interval, in a daemon thread.

A failed run is logged and retried at the next interval: retention is catch-up work, and stopping
the process that serves figures for it would trade an outage for a late deletion.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from pulse.errors import PulseError
from pulse.privacy.retention import apply
from pulse.privacy.windows import RetentionPolicy
from pulse.sinks.clickhouse import ClickHouse

log = structlog.get_logger(__name__)

REQUESTED_BY = "pulse-serve-retention"


class RetentionJob:
    """Applies the policy every ``interval_seconds`` until :meth:`stop` (0: never starts)."""

    def __init__(
        self,
        db: ClickHouse,
        policy: Callable[[], RetentionPolicy],
        interval_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db, self._policy, self._interval, self._clock = db, policy, interval_seconds, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        if self._interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
            self._thread.start()

    def run_once(self) -> None:
        try:
            report = apply(self._db, self._policy(), int(self._clock() * 1000), False, REQUESTED_BY)
            log.info("retention run", rows=sum(report.rows.values()))
        except PulseError as failed:
            log.error("retention run failed; retrying at the next interval", **failed.as_dict())
        self.runs += 1

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.run_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
