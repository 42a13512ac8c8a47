"""``pulse alerts history TENANT [--rule R] [--since ISO] [--limit N] [--json]``: the tenant's
alert firings and resolutions, newest first, with their delivery attempts (``history.py``).

One tab-separated line per entry (``occurred_at kind status rule_id value threshold window
notification_id deliveries rule_name``; deliveries as ``destination:outcome/attempt`` of each
destination's latest attempt), or with ``--json`` one JSON object per entry, attempts included.

It reads ClickHouse itself (a server, or an embedded directory no process holds); while ``pulse
serve`` holds the embedded directory it asks that process (``history_remote.py``).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from pulse.alerts.errors import AlertError
from pulse.alerts.history import MAX_LIMIT, HistoryEntry, HistoryQuery, alert_history
from pulse.alerts.history_remote import remote_history
from pulse.alerts.history_wire import entry_to_json
from pulse.cli_instants import parse_option_instant
from pulse.privacy.local import held_by_server
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tenant_id", metavar="TENANT")
    parser.add_argument("--rule", metavar="R", help="only this rule id")
    parser.add_argument("--since", metavar="ISO", help="only what occurred at or after this")
    parser.add_argument(
        "--limit", type=int, default=100, help=f"at most this many (1 to {MAX_LIMIT}; 100)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per entry")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.limit <= MAX_LIMIT:
        raise AlertError(f"--limit must be between 1 and {MAX_LIMIT}", option="--limit")
    since = None if args.since is None else parse_option_instant(args.since, "--since", AlertError)
    question = HistoryQuery(args.tenant_id, rule_id=args.rule, from_ms=since, limit=args.limit)
    for entry in _entries(settings, question):
        print(json.dumps(entry_to_json(entry)) if args.json else describe(entry), flush=True)
    return 0


def _entries(settings: Settings, question: HistoryQuery) -> list[HistoryEntry]:
    if held_by_server(settings):
        return remote_history(settings.api, question)
    db = connect(settings.clickhouse)
    try:
        return alert_history(db, question)
    finally:
        db.close()


def describe(entry: HistoryEntry) -> str:
    latest: dict[str, str] = {}
    for d in entry.deliveries:
        latest[d.destination_id] = f"{d.destination_id}:{d.outcome}/{d.attempt}"
    return "\t".join(
        (
            _iso(entry.occurred_at_ms),
            entry.kind.rsplit(".", 1)[-1],
            entry.status,
            entry.rule_id,
            _number(entry.value),
            _number(entry.threshold),
            f"{_iso(entry.window_start_ms)}/{_iso(entry.window_end_ms)}",
            entry.notification_id,
            ",".join(latest.values()) or "-",
            "-" if entry.rule is None else entry.rule.name,
        )
    )


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
