"""``pulse alerts deliver``: the delivery worker, until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import signal

from pulse.alerts.directory import DestinationDirectory
from pulse.alerts.worker import DeliveryWorker
from pulse.metrics import serve
from pulse.settings import Settings

CATCH_UP_SECONDS = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options: everything is a PULSE_ALERTS_* setting


def run(args: argparse.Namespace, settings: Settings) -> int:
    del args
    config = settings.alerts
    metrics = serve(config.metrics_host, config.metrics_port, "PULSE_ALERTS_METRICS_PORT")
    try:
        with DestinationDirectory.from_settings(settings) as directory:
            directory.start()
            directory.wait_until_caught_up(CATCH_UP_SECONDS)
            asyncio.run(_deliver(settings, directory))
    finally:
        metrics.shutdown()
    return 0


async def _deliver(settings: Settings, directory: DestinationDirectory) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await DeliveryWorker(settings, directory).run(stop)
