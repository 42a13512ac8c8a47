"""``pulse token TENANT``: prints a signed bearer token for local use (the demo uses it).

Without ``--role`` the token carries no roles claim, which grants analytics.view and
analytics.manage (as tokens minted before roles did), not analytics.pii; without ``--org-unit``
it reads the whole tenant. ``--dashboard ID`` mints an embed token instead: the view role only,
refused everything but that dashboard (as the ``embedToken`` mutation mints, which also checks
the dashboard exists and is the minter's to see).
"""

from __future__ import annotations

import argparse

from pulse.graphql.auth import ROLES, VIEW, issue_token
from pulse.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tenant", help="the tenant the token may read")
    parser.add_argument(
        "--ttl-hours", type=float, default=24.0, help="hours until it expires (default 24)"
    )
    parser.add_argument(
        "--role",
        action="append",
        choices=ROLES,
        help="a role it grants (repeatable; default: analytics.view and analytics.manage;"
        " analytics.pii shows the fields the tenant marks sensitive)",
    )
    parser.add_argument(
        "--org-unit",
        action="append",
        help="an org unit it is confined to (repeatable; default: the whole tenant)",
    )
    parser.add_argument("--subject", help="who holds it ('sub'), as the audit log names them")
    parser.add_argument(
        "--dashboard",
        help="confine it to this dashboard and the view role: a token to embed its page",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.ttl_hours <= 0:
        raise SystemExit("--ttl-hours must be positive")
    ttl_seconds = int(args.ttl_hours * 3600)
    api = settings.api
    if args.dashboard is not None and args.role not in (None, [VIEW]):
        raise SystemExit(f"--dashboard tokens grant {VIEW} only")
    token = issue_token(
        args.tenant,
        api.jwt_secret,
        ttl_seconds,
        api.jwt_algorithm,
        roles=[VIEW] if args.dashboard is not None else args.role,
        org_units=args.org_unit,
        subject=args.subject,
        dashboard=args.dashboard,
    )
    print(token)
    return 0
