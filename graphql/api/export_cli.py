"""``pulse export KIND``: a drill-down, or (``pulse export query --query …``) the rows of a metric
answer, as CSV or Parquet, fetched from the API's ``/export``.

It asks the serving process over HTTP (``PULSE_API_HOST:PULSE_API_PORT``, or ``--url``), so it
works beside ``pulse serve``, which holds the embedded ClickHouse, and is refused exactly as the
token would be on ``/graphql``. The body is written to the file as it streams in, with a
progress line (bytes, rows for CSV, rate) on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from pulse.families.drilldown.sources import KINDS
from pulse.graphql.admin_client import admin_url
from pulse.graphql.export_formats import FORMATS
from pulse.graphql.export_request import QUERY
from pulse.graphql.export_route import PATH
from pulse.settings import Settings

CONNECT_SECONDS = 10.0
# The longest wait for the next page of rows.
READ_SECONDS = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind",
        choices=[*sorted(KINDS), QUERY],
        help="the drill-down rows to export, or query: the buckets or rows of --query's answer",
    )
    parser.add_argument(
        "--query",
        help="with kind query: the GraphQL query (or @FILE), e.g. '{ messagingMetrics(from: $from,"
        " to: $to, granularity: DAY) { buckets { start sent } } }' with its variables as --arg",
    )
    parser.add_argument(
        "--from", dest="from_", help="ISO-8601 instant, inclusive (a query's $from variable)"
    )
    parser.add_argument("--to", help="ISO-8601 instant, exclusive (a query's $to variable)")
    parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
    parser.add_argument("--output", "-o", required=True, help="the file to write")
    parser.add_argument("--token", required=True, help="a bearer token (`pulse token`)")
    parser.add_argument(
        "--arg",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a filter of the GraphQL field (a variable of --query), e.g. orgUnit=north or"
        " eventTypes='[\"a\"]' (VALUE is JSON, else text; repeatable)",
    )
    parser.add_argument("--url", help="the API's /export (default: PULSE_API_HOST:PORT)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    arguments: dict[str, Any] = {
        name: value for name, value in (("from", args.from_), ("to", args.to)) if value
    }
    for given in args.arg:
        name, sep, value = given.partition("=")
        if not sep:
            raise SystemExit(f"--arg {given!r}: expected NAME=VALUE")
        arguments[name] = _value(value)
    url = args.url or admin_url(settings.api, PATH)
    body = _body(args, arguments)
    headers = {"Authorization": f"Bearer {args.token}"}
    timeout = httpx.Timeout(CONNECT_SECONDS, read=READ_SECONDS)
    try:
        with (
            httpx.stream("POST", url, json=body, headers=headers, timeout=timeout) as response,
        ):
            if response.status_code != 200:
                message = json.loads(response.read()).get("message", "")
                print(f"export refused ({response.status_code}): {message}", file=sys.stderr)
                return 1
            with Path(args.output).open("wb") as out:
                _copy(response, out, args.format == "csv", response.headers)
    except httpx.HTTPError as exc:
        print(f"export failed: no answer from {url} ({exc})", file=sys.stderr)
        return 1
    return 0


def _body(args: argparse.Namespace, arguments: dict[str, Any]) -> dict[str, Any]:
    if args.kind == QUERY:
        if not args.query:
            raise SystemExit("pulse export query: --query is required")
        text = args.query
        if text.startswith("@"):
            text = _query_file(text[1:])
        return {"query": text, "variables": arguments, "format": args.format}
    if not (args.from_ and args.to):
        raise SystemExit(f"pulse export {args.kind}: --from and --to are required")
    return {"kind": args.kind, "format": args.format, "arguments": arguments}


def _query_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SystemExit(f"pulse export query: cannot read --query @{path}: {reason}") from exc


def _copy(response: httpx.Response, out: BinaryIO, csv: bool, headers: httpx.Headers) -> None:
    started, received, lines = time.monotonic(), 0, 0
    for chunk in response.iter_bytes():
        out.write(chunk)
        received += len(chunk)
        lines += chunk.count(b"\n") if csv else 0
        _progress(received, lines - 1 if csv else None, time.monotonic() - started)
    print(file=sys.stderr)
    if csv and lines - 1 >= int(headers.get("x-pulse-row-limit", "0")) > 0:
        print(
            f"note: the export stopped at the row limit of {headers['x-pulse-row-limit']} rows",
            file=sys.stderr,
        )


def _progress(received: int, rows: int | None, seconds: float) -> None:
    rate = received / seconds / 1e6 if seconds > 0 else 0.0
    counted = "" if rows is None else f"{max(rows, 0):,} rows  "
    # The total is unknown until the last page: the bar shows progress, not a fraction.
    spinner = "|/-\\"[int(seconds * 8) % 4]
    sys.stderr.write(f"\r{spinner} {counted}{received / 1e6:,.1f} MB  {rate:,.1f} MB/s")
    sys.stderr.flush()


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
