"""``pulse serve``: the one process that owns the embedded ClickHouse, running sink and API.

The sink consumes in a background thread; uvicorn serves in the main thread, where it handles
SIGINT/SIGTERM. Shutting down stops the sink at a batch boundary (it stores what is pending),
then closes ClickHouse. A sink that dies takes the process down with a non-zero exit: an API
over a stalled sink would serve silently stale figures.
"""

from __future__ import annotations

import argparse
import threading
from typing import Protocol

import structlog
import uvicorn

from pulse.alerts.errors import RulesTopicMissingError
from pulse.alerts.evaluator_service import EvaluatorService
from pulse.gc_tuning import tune_for_batches
from pulse.graphql.services import (
    backing,
    build_app,
    open_audit,
    retention_policy,
    run_server,
    server,
)
from pulse.privacy.scheduler import RetentionJob
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.migrator import Migrator
from pulse.sinks.sink import SinkRunner
from pulse.topics.tenants import TenantDirectory

log = structlog.get_logger(__name__)

SINK_STOP_TIMEOUT_SECONDS = 60.0


class Sink(Protocol):
    def run(self, stop: threading.Event) -> None: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (default PULSE_API_HOST)")
    parser.add_argument("--port", type=int, help="port (default PULSE_API_PORT)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    with backing(settings) as opened:
        clickhouse, realtime, tenants = opened.clickhouse, opened.realtime, opened.tenants
        applied = Migrator(clickhouse, settings.clickhouse.database).up()
        log.info("migrations applied", versions=applied)
        sink = SinkRunner(settings, clickhouse, realtime)
        audit = open_audit(settings, clickhouse)
        app = build_app(settings, opened, audit)
        interval = settings.privacy.retention_interval_seconds
        retention = RetentionJob(clickhouse, retention_policy(settings, tenants), interval)
        evaluator = open_evaluator(settings, clickhouse, tenants)
        tune_for_batches()
        retention.start()
        if evaluator is not None:
            evaluator.start()
        try:
            return serve_with_sink(server(settings, app, args.host, args.port), sink)
        finally:
            if evaluator is not None:
                evaluator.close()
            retention.stop()
            audit.close()


def open_evaluator(
    settings: Settings, clickhouse: ClickHouse, tenants: TenantDirectory
) -> EvaluatorService | None:
    """The alert evaluator to run beside the sink, unless turned off or the alert topics are
    missing: figures are served without alerts rather than not at all."""
    if not settings.alerts.evaluate:
        return None
    try:
        return EvaluatorService(settings, clickhouse, tenants.settings_for)
    except RulesTopicMissingError as exc:
        log.warning("alert_rules_not_evaluated", topic=exc.fields.get("topic"), reason=exc.message)
        return None


def serve_with_sink(api: uvicorn.Server, sink: Sink) -> int:
    """Runs ``api`` until a signal or the sink's death; 0 on a clean stop, 1 if the sink failed."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def consume() -> None:
        try:
            sink.run(stop)
        except BaseException as exc:
            failures.append(exc)
            log.exception("sink thread died; stopping the process")
        else:
            if not stop.is_set():
                failures.append(RuntimeError("the sink returned without being asked to stop"))
                log.error("sink thread returned on its own; stopping the process")
        finally:
            api.should_exit = True

    # A daemon, so a sink stuck past the timeout cannot keep the process alive.
    thread = threading.Thread(target=consume, name="pulse-sink", daemon=True)
    thread.start()
    try:
        run_server(api)
    finally:
        stop.set()
        thread.join(SINK_STOP_TIMEOUT_SECONDS)
    if thread.is_alive():
        log.error("sink did not stop in time", timeout_seconds=SINK_STOP_TIMEOUT_SECONDS)
        return 1
    if failures:
        log.error("pulse serve stopped because the sink failed", error=repr(failures[0]))
        return 1
    return 0
