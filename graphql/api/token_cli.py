"""``pulse token TENANT``: prints a signed bearer token for local use (the demo uses it)."""

from __future__ import annotations

import argparse

from pulse.graphql.auth import issue_token
from pulse.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tenant", help="the tenant the token may read")
    parser.add_argument(
        "--ttl-hours", type=float, default=24.0, help="hours until it expires (default 24)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.ttl_hours <= 0:
        raise SystemExit("--ttl-hours must be positive")
    ttl_seconds = int(args.ttl_hours * 3600)
    print(
        issue_token(args.tenant, settings.api.jwt_secret, ttl_seconds, settings.api.jwt_algorithm)
    )
    return 0
