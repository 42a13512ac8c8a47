"""``pulse api``: the GraphQL API alone, for a ClickHouse server shared with ``pulse sink``."""

from __future__ import annotations

import argparse

import structlog

from pulse.graphql.services import (
    build_app,
    open_alert_rules,
    open_audit,
    open_dashboards,
    open_realtime,
    open_tenants,
    run_server,
    server,
)
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect

log = structlog.get_logger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (default PULSE_API_HOST)")
    parser.add_argument("--port", type=int, help="port (default PULSE_API_PORT)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.clickhouse.url.startswith("chdb://"):
        # The API would hold the chdb directory and lock the sink out of it.
        log.warning("embedded ClickHouse: no sink can write while this runs; use `pulse serve`")
    tenants = open_tenants(settings)
    alert_rules = open_alert_rules(settings)
    dashboards = open_dashboards(settings)
    clickhouse = connect(settings.clickhouse)
    realtime = open_realtime(settings)
    try:
        audit = open_audit(settings, clickhouse)
        try:
            app = build_app(settings, clickhouse, realtime, tenants, alert_rules, audit, dashboards)
            run_server(server(settings, app, args.host, args.port))
        finally:
            audit.close()
    finally:
        realtime.close()
        clickhouse.close()
        if alert_rules is not None:
            alert_rules.close()
        if dashboards is not None:
            dashboards.close()
        tenants.close()
    return 0
