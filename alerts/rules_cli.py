"""``pulse alerts rules create|list|update|pause|resume|delete TENANT …``.

Each prints the rules it touched, one tab-separated line each (``id status type metric
condition window destinations name``), or with ``--json`` one JSON object per line. An invalid
rule exits 1 naming the field (``RuleError``); nothing is written.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import Any

from pulse.alerts.rule_book import RuleBook
from pulse.alerts.rules import (
    NO_DATA,
    STATUSES,
    TYPES,
    AlertRule,
    Condition,
    RuleFilter,
    Status,
)
from pulse.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--json", action="store_true", help="one JSON object per rule")
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", parents=[output], help="create a rule")
    create.add_argument("tenant_id")
    _rule_options(create, required=True)
    create.add_argument("--created-by", default="cli", help="who made it (default: cli)")
    listing = sub.add_parser("list", parents=[output], help="print a tenant's rules")
    listing.add_argument("tenant_id")
    listing.add_argument("--status", choices=STATUSES)
    update = sub.add_parser("update", parents=[output], help="change the given fields of a rule")
    update.add_argument("tenant_id")
    update.add_argument("rule_id")
    _rule_options(update, required=False)
    for action, help_text in (
        ("pause", "stop evaluating a rule"),
        ("resume", "evaluate a paused rule again"),
        ("delete", "delete a rule"),
    ):
        one = sub.add_parser(action, parents=[output], help=help_text)
        one.add_argument("tenant_id")
        one.add_argument("rule_id")


def _rule_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--name", required=required)
    parser.add_argument("--type", choices=TYPES, required=required)
    parser.add_argument("--metric", required=required, help="a metric of the catalogue")
    parser.add_argument("--window", required=required, help="5m, 15m, 1h, 1d… (1m to 7d)")
    condition = parser.add_mutually_exclusive_group(required=required)
    condition.add_argument("--above", type=float, metavar="VALUE")
    condition.add_argument("--below", type=float, metavar="VALUE")
    condition.add_argument(
        "--change-pct", type=float, metavar="PCT", help="against the previous window"
    )
    condition.add_argument(
        "--anomaly", type=float, metavar="K", help="K standard deviations off the baseline"
    )
    parser.add_argument("--weeks", type=int, default=4, help="anomaly baseline (default 4)")
    parser.add_argument("--org-unit")
    parser.add_argument("--channel")
    parser.add_argument("--priority")
    parser.add_argument("--pending", type=int, metavar="SECONDS", dest="pending_seconds")
    parser.add_argument("--cooldown", type=int, metavar="SECONDS", dest="cooldown_seconds")
    parser.add_argument("--recovery", type=float, help="the value that clears it (hysteresis)")
    parser.add_argument("--no-data", choices=NO_DATA, dest="no_data")
    parser.add_argument(
        "--destination", action="append", dest="destinations", metavar="ID", required=required
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    book = RuleBook.open(settings)
    try:
        rules = _act(book, args)
    finally:
        book.close()
    for rule in rules:
        print(json.dumps(rule.to_dict()) if args.json else describe(rule), flush=True)
    return 0


def _act(book: RuleBook, args: argparse.Namespace) -> list[AlertRule]:
    tenant: str = args.tenant_id
    if args.action == "list":
        return book.of_tenant(tenant, args.status)
    if args.action == "create":
        return [book.create(tenant, _fields(args, RuleFilter()), args.created_by)]
    if args.action == "update":
        found = book.get(tenant, args.rule_id)
        return [book.update(tenant, args.rule_id, _fields(args, found.filter))]
    if args.action == "delete":
        return [book.delete(tenant, args.rule_id)]
    status: Status = "paused" if args.action == "pause" else "active"
    return [book.set_status(tenant, args.rule_id, status)]


def _fields(args: argparse.Namespace, current: RuleFilter) -> dict[str, Any]:
    """The options given, as rule fields; a filter option changes that filter only."""
    names = ("name", "type", "metric", "window", "pending_seconds", "cooldown_seconds")
    fields: dict[str, Any] = {n: getattr(args, n) for n in names if getattr(args, n) is not None}
    for name in ("recovery", "no_data"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if args.destinations is not None:
        fields["destinations"] = tuple(args.destinations)
    condition = _condition(args)
    if condition is not None:
        fields["condition"] = condition
    given = {n: getattr(args, n) for n in ("org_unit", "channel", "priority") if getattr(args, n)}
    if given:
        fields["filter"] = replace(current, **given)
    return fields


def _condition(args: argparse.Namespace) -> Condition | None:
    if args.anomaly is not None:
        return Condition("anomaly", k=args.anomaly, weeks=args.weeks)
    for op in ("above", "below", "change_pct"):
        value = getattr(args, op)
        if value is not None:
            return Condition(op, value=value)
    return None


def describe(rule: AlertRule) -> str:
    c = rule.condition
    condition = f"anomaly {c.k:g}sd/{c.weeks}w" if c.op == "anomaly" else f"{c.op} {c.value:g}"
    return "\t".join(
        (
            rule.rule_id,
            rule.status,
            rule.type,
            rule.metric,
            condition,
            rule.window,
            ",".join(rule.destinations),
            rule.name,
        )
    )
