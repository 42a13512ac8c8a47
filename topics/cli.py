"""``pulse topics plan|apply``: make the cluster match ``topics.toml``, additively."""

from __future__ import annotations

import argparse
from pathlib import Path

from confluent_kafka.admin import AdminClient

from pulse.settings import Settings
from pulse.topics import admin
from pulse.topics.declarations import DEFAULT_PATH, load
from pulse.topics.planner import Plan, desired_topics, plan


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("plan", "apply"), help="show the changes, or make them")
    parser.add_argument(
        "--file", type=Path, default=DEFAULT_PATH, help="the declarations (default: %(default)s)"
    )


def make_plan(settings: Settings, path: Path = DEFAULT_PATH) -> tuple[Plan, AdminClient]:
    """The plan for ``settings``' cluster and prefix, and the admin client that read it."""
    desired = desired_topics(load(path), settings)
    client = admin.admin_client(settings.kafka.bootstrap_servers)
    live = admin.read_live(client, (t.name for t in desired))
    return plan(desired, live), client


def run(args: argparse.Namespace, settings: Settings) -> int:
    current, client = make_plan(settings, args.file)
    print(current.render())
    if args.action == "apply" and not current.empty:
        admin.apply(client, current)
        print(f"applied {len(current.actions)} change(s)")
    return 0
