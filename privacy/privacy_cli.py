"""``pulse privacy export|erase|log``: a data subject's events, their erasure, the audit log.

Exit codes: 0 done, 1 a failure, 2 a bad request (nothing done). See README "Privacy".
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pulse.families.registry import DERIVATIONS, REALTIME
from pulse.privacy import audit
from pulse.privacy.erase import ErasureRequest, erase
from pulse.privacy.errors import BadPrivacyRequestError
from pulse.privacy.export import export, json_line
from pulse.privacy.local import held_by_server
from pulse.privacy.remote import post_json, post_lines
from pulse.privacy.routes import ERASE_PATH, EXPORT_PATH, LOG_PATH, PRIVACY_SCOPE
from pulse.privacy.subject import Subject
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.realtime import RealtimeCache


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    exporting = sub.add_parser("export", help="every stored event of a visitor or contact (JSONL)")
    erasing = sub.add_parser("erase", help="erase a visitor's or contact's events everywhere")
    for action in (exporting, erasing):
        action.add_argument("--tenant", required=True, metavar="T")
        who = action.add_mutually_exclusive_group(required=True)
        who.add_argument("--visitor", metavar="V", help="web visitor id (visitor_id)")
        who.add_argument("--contact", metavar="C", help="contact id (contact_id)")
        action.add_argument("--reason", default="", help="why (kept in the audit log)")
    exporting.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    exporting.add_argument(
        "--requested-by", help="who asked (kept in the audit log; default: this OS user)"
    )
    erasing.add_argument("--requested-by", required=True, help="who asked (kept in the audit log)")
    listing = sub.add_parser("log", help="the audit log of exports, erasures and retention runs")
    listing.add_argument("--tenant", metavar="T", help="only this tenant")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.action == "export":
            return _export(args, settings)
        if args.action == "erase":
            return _erase(args, settings)
        return _log(args, settings)
    except BadPrivacyRequestError as bad:
        print(f"error: {bad.message}", file=sys.stderr)
        return 2


def _subject(args: argparse.Namespace) -> Subject:
    if args.visitor is not None:
        subject = Subject(args.tenant, "visitor", args.visitor)
    else:
        subject = Subject(args.tenant, "contact", args.contact)
    subject.check()
    return subject


def _export(args: argparse.Namespace, settings: Settings) -> int:
    subject = _subject(args)
    by = args.requested_by or getpass.getuser()
    lines = _export_lines(settings, subject, by, args.reason)
    if args.out is None:
        written = _write(lines, sys.stdout.buffer)
    else:
        with Path(args.out).open("wb") as out:
            written = _write(lines, out)
    print(f"exported {written} events of {subject.kind} {subject.subject_id}", file=sys.stderr)
    return 0


def _write(lines: Iterator[bytes], out: IO[bytes]) -> int:
    written = 0
    for line in lines:
        out.write(line)
        written += 1
    out.flush()
    return written


def _export_lines(settings: Settings, subject: Subject, by: str, reason: str) -> Iterator[bytes]:
    if held_by_server(settings):
        body = {"subject": subject.to_json(), "requested_by": by, "reason": reason}
        yield from post_lines(settings.api, EXPORT_PATH, PRIVACY_SCOPE, body)
        return
    db = connect(settings.clickhouse)
    try:
        privacy = settings.privacy
        now_ms = int(time.time() * 1000)
        rows = export(db, subject, by, reason, privacy.audit_key, privacy.export_page_rows, now_ms)
        for row in rows:
            yield json_line(row)
    finally:
        db.close()


def _erase(args: argparse.Namespace, settings: Settings) -> int:
    request = ErasureRequest(_subject(args), args.requested_by, args.reason)
    if not request.requested_by:
        raise BadPrivacyRequestError("--requested-by must not be empty")
    if held_by_server(settings):
        body = {
            "subject": request.subject.to_json(),
            "requested_by": request.requested_by,
            "reason": request.reason,
        }
        report = post_json(settings.api, ERASE_PATH, PRIVACY_SCOPE, body)
    else:
        report = _erase_here(settings, request)
    print(json.dumps(report, sort_keys=True))
    if report.get("realtime_error"):
        print(f"warning: Redis not refreshed: {report['realtime_error']}", file=sys.stderr)
    if report.get("inserts_unsettled"):
        print(
            f"warning: {report['inserts_unsettled']} inserts still ran after the wait: check"
            f" with pulse recalc --verify --tenant {request.subject.tenant_id}",
            file=sys.stderr,
        )
    return 0


def _erase_here(settings: Settings, request: ErasureRequest) -> dict[str, Any]:
    db = connect(settings.clickhouse)
    cache = RealtimeCache(settings.redis.url, settings.redis.realtime_ttl_seconds)
    try:
        privacy = settings.privacy
        return erase(
            db,
            request,
            DERIVATIONS,
            REALTIME,
            cache,
            privacy.audit_key,
            settle_seconds=privacy.erase_settle_seconds,
        ).to_json()
    finally:
        cache.close()
        db.close()


def _log(args: argparse.Namespace, settings: Settings) -> int:
    if held_by_server(settings):
        body = {"tenant_id": args.tenant, "limit": args.limit}
        entries = post_json(settings.api, LOG_PATH, PRIVACY_SCOPE, body)["entries"]
    else:
        db = connect(settings.clickhouse)
        try:
            entries = [e.to_json() for e in audit.entries(db, args.tenant, args.limit)]
        finally:
            db.close()
    for entry in entries:
        print(json.dumps(entry, sort_keys=True) if args.json else _line(entry))
    return 0


def _line(entry: dict[str, Any]) -> str:
    at = datetime.fromtimestamp(entry["requested_at"] / 1000, UTC).isoformat(timespec="seconds")
    subject = (
        f"{entry['subject_kind']}:{entry['subject_hash'][:16]}" if entry["subject_kind"] else "-"
    )
    return "\t".join(
        (
            at,
            entry["action"],
            entry["tenant_id"] or "*",
            subject,
            entry["requested_by"],
            str(entry["rows"]),
            entry["reason"],
        )
    )
