"""The ``pulse`` command: one entry point, one subcommand per job.

Each subcommand lives in the module of its role and exposes ``add_arguments(parser)`` and
``run(args, settings) -> int``; they are imported only when chosen, so ``pulse produce`` does not
load Faust or ClickHouse.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pulse.errors import PulseError
from pulse.log import configure_logging
from pulse.settings import Settings

COMMANDS: dict[str, tuple[str, str]] = {
    "topics": ("pulse.topics.cli", "plan or apply the declared topics"),
    "produce": ("pulse.avro.produce_cli", "validate, encode and publish events from a JSONL file"),
    "tenants": ("pulse.topics.tenants_cli", "publish a tenant's settings (time zone, SLA targets)"),
    "migrate": ("pulse.sinks.migrate_cli", "apply or roll back ClickHouse migrations"),
    "worker": ("pulse.streams.worker_cli", "run the Faust stream worker"),
    "sink": ("pulse.sinks.sink_cli", "run the ClickHouse/Redis sink alone (ClickHouse server)"),
    "api": ("pulse.graphql.api_cli", "run the GraphQL API alone (ClickHouse server)"),
    "serve": ("pulse.graphql.serve_cli", "run sink + GraphQL in one process (owns chdb)"),
    "dlq": ("pulse.streams.dlq_cli", "list, show or replay dead letters"),
    "token": ("pulse.graphql.token_cli", "mint a bearer token for a tenant"),
    "export": ("pulse.graphql.export_cli", "write a drill-down as CSV or Parquet, from the API"),
    "demo-events": ("pulse.demo_cli", "write a JSONL file of synthetic events"),
    "lag": ("pulse.lag_cli", "print, or wait out, the worker's and the sink's consumer lag"),
    "recalc": ("pulse.recalc_cli", "rebuild or verify derived tables of a range from raw events"),
    "keys": ("pulse.collector.keys_cli", "create, list or revoke a tenant's collector API keys"),
    "collect": ("pulse.collector.collect_cli", "run the HTTP collector of JSON events"),
    "alerts": ("pulse.alerts.cli", "alert destinations, the delivery worker, its dead letters"),
    "privacy": ("pulse.privacy.privacy_cli", "export or erase a visitor's or contact's events"),
    "retention": ("pulse.privacy.retention_cli", "delete data older than its retention window"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        build_parser().parse_args(argv)  # prints usage and exits
        return 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"pulse {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    try:
        code: int = module.run(args, settings)
    except PulseError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for key, value in exc.fields.items():
            print(f"  {key}: {value}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
