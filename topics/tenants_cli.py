"""``pulse tenants set TENANT --timezone ZONE`` and ``pulse tenants list``."""

from __future__ import annotations

import argparse

from pulse.settings import Settings
from pulse.topics.tenants import TenantDirectory, TenantSettings, publish_tenant


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    set_parser = sub.add_parser("set", help="publish a tenant's settings")
    set_parser.add_argument("tenant_id")
    set_parser.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Lisbon")
    sub.add_parser("list", help="print every tenant's current settings")


def run(args: argparse.Namespace, settings: Settings) -> int:
    topic = settings.topic("tenants")
    if args.action == "set":
        tenant = TenantSettings(timezone=args.timezone)
        publish_tenant(settings.kafka, topic, args.tenant_id, tenant)
        print(f"{args.tenant_id}: timezone={tenant.timezone} (written to {topic})")
        return 0
    with TenantDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(timeout=30)
        for tenant_id, tenant in sorted(directory.snapshot().items()):
            print(f"{tenant_id}\ttimezone={tenant.timezone}")
    return 0
