"""``pulse retention apply [--dry-run]``: delete what has outlived its retention window now.

``pulse serve`` also runs it every ``PULSE_PRIVACY_RETENTION_INTERVAL_SECONDS``. Exit codes: 0
done, 1 a failure, 2 a bad request.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time

from pulse.privacy.errors import BadPrivacyRequestError
from pulse.privacy.local import held_by_server
from pulse.privacy.policy import tenants_policy
from pulse.privacy.remote import post_json
from pulse.privacy.retention import apply
from pulse.privacy.routes import RETENTION_PATH, RETENTION_SCOPE
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    applying = sub.add_parser("apply", help="delete every row older than its window")
    applying.add_argument("--dry-run", action="store_true", help="count, delete nothing")


def run(args: argparse.Namespace, settings: Settings) -> int:
    by = getpass.getuser()
    try:
        if held_by_server(settings):
            body = {"dry_run": args.dry_run, "requested_by": by}
            report = post_json(settings.api, RETENTION_PATH, RETENTION_SCOPE, body)
        else:
            policy = tenants_policy(settings)
            db = connect(settings.clickhouse)
            try:
                now_ms = int(time.time() * 1000)
                report = apply(db, policy, now_ms, args.dry_run, by).to_json()
            finally:
                db.close()
    except BadPrivacyRequestError as bad:
        print(f"error: {bad.message}", file=sys.stderr)
        return 2
    verb = "would delete" if args.dry_run else "deleted"
    for label, rows in sorted(report["rows"].items()):
        if rows:
            print(f"{verb} {rows}\t{label}")
    print(json.dumps(report, sort_keys=True), file=sys.stderr)
    return 0
