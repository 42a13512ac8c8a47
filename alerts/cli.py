"""``pulse alerts <command>``: the alerts' commands (destinations, deliver, dlq, rules, history)."""

from __future__ import annotations

import argparse
import importlib

from pulse.settings import Settings

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "destinations": (
        "pulse.alerts.destinations_cli",
        "add, list, rotate the secret of, or remove a tenant's alert destinations",
    ),
    "deliver": ("pulse.alerts.deliver_cli", "run the delivery worker of alert notifications"),
    "evaluate": ("pulse.alerts.evaluate_cli", "evaluate the alert rules and publish notifications"),
    "dlq": ("pulse.alerts.dlq_cli", "list or replay dead-lettered alert deliveries"),
    "rules": (
        "pulse.alerts.rules_cli",
        "create, list, update, pause, resume or delete a tenant's alert rules",
    ),
    "history": ("pulse.alerts.history_cli", "print a tenant's alert firings and resolutions"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="alerts_command", required=True)
    for name, (module, help_text) in SUBCOMMANDS.items():
        importlib.import_module(module).add_arguments(sub.add_parser(name, help=help_text))


def run(args: argparse.Namespace, settings: Settings) -> int:
    code: int = importlib.import_module(SUBCOMMANDS[args.alerts_command][0]).run(args, settings)
    return code
