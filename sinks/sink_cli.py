"""``pulse sink``: migrate ClickHouse up, then store hand-off rows until SIGINT or SIGTERM.

With embedded ClickHouse the data directory belongs to one process; run this only when no other
process (such as ``pulse serve``) owns it. With a ClickHouse server, run as many as partitions.
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

import structlog

from pulse.gc_tuning import tune_for_batches
from pulse.metrics import serve
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from pulse.sinks.realtime import RealtimeCache
from pulse.sinks.sink import SinkRunner

log = structlog.get_logger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-realtime", action="store_true", help="do not write the current hour to Redis"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    metrics = serve(
        settings.sink.metrics_host, settings.sink.metrics_port, "PULSE_SINK_METRICS_PORT"
    )
    clickhouse = connect(settings.clickhouse)
    realtime = (
        None
        if args.no_realtime
        else RealtimeCache(settings.redis.url, settings.redis.realtime_ttl_seconds)
    )
    try:
        applied = Migrator(clickhouse, settings.clickhouse.database).up()
        log.info("migrations applied", versions=applied)
        runner = SinkRunner(settings, clickhouse, realtime)
        tune_for_batches()
        runner.run(stop)
        log.info("sink stopped", **vars(runner.stats))
    finally:
        clickhouse.close()
        if realtime is not None:
            realtime.close()
        metrics.shutdown()
    return 0
