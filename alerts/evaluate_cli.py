"""``pulse alerts evaluate``: the alert evaluator against a ClickHouse server, until a signal.

``pulse serve`` runs the same evaluator in a thread (``PULSE_ALERTS_EVALUATE``); this command is
for a deployment where ClickHouse is a server (``PULSE_CLICKHOUSE_URL=clickhouse://…``) and the
sink runs apart. Several may run: one holds the lease and acts, the others stand by.
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType

from pulse.alerts.evaluator_service import EvaluatorService
from pulse.graphql.services import open_tenants
from pulse.metrics import serve
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options: everything is a PULSE_ALERTS_* setting


def run(args: argparse.Namespace, settings: Settings) -> int:
    del args
    config = settings.alerts
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    port_var = "PULSE_ALERTS_EVALUATE_METRICS_PORT"
    metrics = serve(config.metrics_host, config.evaluate_metrics_port, port_var)
    tenants = open_tenants(settings)
    db = connect(settings.clickhouse)
    try:
        service = EvaluatorService(settings, db, tenants.settings_for)
        try:
            service.run(stop)
        finally:
            service.close()
    finally:
        db.close()
        tenants.close()
        metrics.shutdown()
    return 0
