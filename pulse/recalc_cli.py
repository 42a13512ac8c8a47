"""``pulse recalc``: rebuild (or, with ``--verify``, check) derived rows of a range from raw events.

Where the work runs: with a ClickHouse server, here. With embedded chdb, here if no other process
holds the directory; while ``pulse serve`` holds it, in the serving process, asked over HTTP
(:mod:`pulse.recalc_remote`), which streams its progress back. Either way the same events drive
the same progress bar and summary. Exit codes: 0 done (or no difference), 1 differences found or
a failure, 2 a bad request (nothing done).
"""

from __future__ import annotations

import argparse
import fcntl
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pulse.families.derivation import Derivation
from pulse.families.recalc import (
    BadRecalcRequestError,
    Event,
    RecalcRequest,
    choose,
    parse_instant,
    recalc,
)
from pulse.families.registry import DERIVATIONS
from pulse.graphql.admin_client import admin_url
from pulse.graphql.recalc_route import PATH
from pulse.privacy.policy import tenants_policy
from pulse.privacy.recalc_floor import within_raw_retention
from pulse.privacy.windows import RetentionPolicy
from pulse.recalc_remote import remote_events
from pulse.recalc_report import follow, print_json, print_text
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", metavar="T", help="only this tenant (default: every one)")
    keys = "keys with raw events"
    parser.add_argument("--from", dest="from_", metavar="ISO", help=f"{keys} at or after this")
    parser.add_argument("--to", metavar="ISO", help=f"{keys} before this (UTC if no offset)")
    parser.add_argument(
        "--family",
        action="append",
        default=[],
        metavar="NAME",
        help="a derivation by name (repeatable; default all)",
    )
    parser.add_argument(
        "--verify", action="store_true", help="write nothing; list figures that differ (exit 1)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(
    args: argparse.Namespace,
    settings: Settings,
    derivations: Sequence[Derivation] = DERIVATIONS,
    policy: Callable[[Settings], RetentionPolicy] | None = None,
) -> int:
    try:
        request = _request(args)
        request.check()
        chosen = [d.name for d in choose(derivations, request.families)]
        retention = (policy or tenants_policy)(settings)
        request, note = within_raw_retention(request, retention, int(time.time() * 1000))
        if note:
            print(note, file=sys.stderr)
        summary = follow(_events(settings, derivations, request), chosen, sys.stderr, args.quiet)
    except BadRecalcRequestError as bad:
        print(f"error: {bad.message}", file=sys.stderr)
        return 2
    if args.json:
        print_json(summary, request, sys.stdout)
    else:
        print_text(summary, request.verify, sys.stdout)
    return 1 if summary.differences else 0


def _request(args: argparse.Namespace) -> RecalcRequest:
    return RecalcRequest(
        tenant_id=args.tenant,
        from_ms=None if args.from_ is None else parse_instant(args.from_, "--from"),
        to_ms=None if args.to is None else parse_instant(args.to, "--to"),
        families=tuple(args.family),
        verify=args.verify,
    )


def _events(
    settings: Settings, derivations: Sequence[Derivation], request: RecalcRequest
) -> Iterator[Event]:
    url = settings.clickhouse.url
    if url.startswith("chdb://") and directory_in_use(Path(url.removeprefix("chdb://"))):
        serving = admin_url(settings.api, PATH)
        note = f"note: {url} is in use; asking the serving process at {serving}"
        print(note, file=sys.stderr)
        yield from remote_events(settings.api, request)
        return
    db = connect(settings.clickhouse)
    try:
        yield from recalc(db, derivations, request)
    finally:
        db.close()


def directory_in_use(path: Path) -> bool:
    """Whether another engine holds the chdb directory ``path``. ClickHouse keeps an exclusive
    ``flock`` on its ``status`` file while it runs (and removes the file when it stops); trying
    to open a held directory fails only after logging its own error, so look first."""
    try:
        with (path / "status").open("rb") as status:
            fcntl.flock(status, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    return False
