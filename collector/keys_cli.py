"""``pulse keys create|list|revoke TENANT``: the collector's API keys of a tenant.

``create`` prints the key once; only its hash is stored, so a lost key is revoked and replaced,
never recovered.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from pulse.collector.errors import UnknownKeyError
from pulse.collector.key_directory import KeyDirectory
from pulse.collector.keys import ApiKey, Kind, new_key, publish_key
from pulse.settings import Settings

CATCH_UP_SECONDS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="make a key for a tenant and print it (once)")
    create.add_argument("tenant_id")
    create.add_argument(
        "--site",
        action="store_true",
        help="a public site key (web.* events only, from --origin pages) instead of a server key",
    )
    create.add_argument(
        "--origin",
        action="append",
        default=[],
        help="an origin a site key may be used from, e.g. https://shop.example (repeatable)",
    )
    listing = sub.add_parser("list", help="print a tenant's keys (ids, kinds, states; no secrets)")
    listing.add_argument("tenant_id")
    revoke = sub.add_parser("revoke", help="revoke one of a tenant's keys by its id")
    revoke.add_argument("tenant_id")
    revoke.add_argument("key_id")


def run(args: argparse.Namespace, settings: Settings) -> int:
    topic = settings.topic("keys")
    if args.action == "create":
        kind: Kind = "site" if args.site else "server"
        secret, record = new_key(args.tenant_id, kind, tuple(args.origin))
        publish_key(settings.kafka, topic, record)
        print(f"{record.key_id}\t{kind}\t{secret}")
        print("store this key now: it is not shown again", flush=True)
        return 0
    with KeyDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(CATCH_UP_SECONDS)
        if args.action == "list":
            for record in directory.of_tenant(args.tenant_id):
                print(describe(record))
            return 0
        found = directory.get(args.key_id)
        if found is None or found.tenant_id != args.tenant_id:
            raise UnknownKeyError(
                f"tenant {args.tenant_id!r} has no key {args.key_id!r}",
                tenant_id=args.tenant_id,
                key_id=args.key_id,
            )
        publish_key(settings.kafka, topic, found.revoked(int(time.time() * 1000)))
        print(f"{found.key_id} revoked")
    return 0


def describe(record: ApiKey) -> str:
    """``id kind created state [origins]``, tab-separated."""
    state = "active" if record.revoked_ms is None else f"revoked {_iso(record.revoked_ms)}"
    origins = ",".join(record.allowed_origins)
    return "\t".join(
        x for x in (record.key_id, record.kind, _iso(record.created_ms), state, origins) if x
    )


def _iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )
