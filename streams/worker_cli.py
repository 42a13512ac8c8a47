"""``pulse worker``: run the stream worker until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import socket
from dataclasses import replace

import faust

from pulse.gc_tuning import tune_for_batches
from pulse.settings import Settings
from pulse.streams.app import create_app
from pulse.streams.changelog_topic import ensure_changelog
from pulse.streams.handoff import RowsHandoff


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--faust-loglevel",
        default="warning",
        help="log level of Faust's own messages (default: %(default)s)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.stream.instance_id:
        stream = replace(
            settings.stream, instance_id=f"{settings.stream.app_id}-{socket.gethostname()}"
        )
        settings = replace(settings, stream=stream)
    ensure_changelog(settings)
    handoff = RowsHandoff(settings.kafka, settings.topic("rows"))
    try:
        app = create_app(settings, handoff)
        worker = faust.Worker(app, loglevel=args.faust_loglevel, redirect_stdouts=False)
        # At WARNING and above Faust's progress spinner sets the root logger to DEBUG and
        # handles every debug record of every library (measured: 4 % of the worker's time).
        worker.spinner = None
        tune_for_batches()
        # Installs the SIGTERM/SIGINT handlers, runs until stopped, then exits the process.
        worker.execute_from_commandline()
    finally:
        handoff.close()
    return 0
