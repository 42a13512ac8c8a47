"""``pulse api``: the GraphQL API alone, for a ClickHouse server shared with ``pulse sink``."""

from __future__ import annotations

import argparse

import structlog

from pulse.graphql.services import (
    backing,
    build_app,
    open_audit,
    run_server,
    server,
)
from pulse.settings import Settings

log = structlog.get_logger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (default PULSE_API_HOST)")
    parser.add_argument("--port", type=int, help="port (default PULSE_API_PORT)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.clickhouse.embedded:
        # The API would hold the chdb directory and lock the sink out of it.
        log.warning("embedded ClickHouse: no sink can write while this runs; use `pulse serve`")
    with backing(settings) as opened:
        audit = open_audit(settings, opened.clickhouse)
        try:
            app = build_app(settings, opened, audit)
            run_server(server(settings, app, args.host, args.port))
        finally:
            audit.close()
    return 0
