"""``pulse migrate up [N] | down N | status``: move the ClickHouse schema along the migrations.

``up`` applies every pending migration (or those up to version N); ``down N`` rolls back every
applied migration above version N (``down 0`` empties the schema).
"""

from __future__ import annotations

import argparse

from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    up = actions.add_parser("up", help="apply pending migrations")
    up.add_argument("target", type=int, nargs="?", default=None, help="highest version to apply")
    down = actions.add_parser("down", help="roll back migrations above a version")
    down.add_argument("target", type=int, help="highest version to keep (0: all rolled back)")
    actions.add_parser("status", help="list migrations and whether each is applied")


def run(args: argparse.Namespace, settings: Settings) -> int:
    client = connect(settings.clickhouse)
    try:
        migrator = Migrator(client, settings.clickhouse.database)
        if args.action == "up":
            print_versions("applied", migrator.up(args.target))
        elif args.action == "down":
            print_versions("rolled back", migrator.down(args.target))
        else:
            for state in migrator.status():
                mark = "applied" if state.applied else "pending"
                print(f"{state.version:04d} {state.name:<24} {mark}")
    finally:
        client.close()
    return 0


def print_versions(verb: str, versions: list[int]) -> None:
    if not versions:
        print(f"nothing {verb}")
    for version in versions:
        print(f"{verb} {version:04d}")
