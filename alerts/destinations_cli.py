"""``pulse alerts destinations add|list|rotate|remove TENANT``.

A signing secret is printed once, when it is made (``add``, ``rotate``); ``list`` shows ids,
kinds, targets and states, never a secret.
"""

from __future__ import annotations

import argparse

from pulse.alerts.destinations import (
    Destination,
    Kind,
    new_destination,
    new_secret,
    publish_destination,
    remove_destination,
)
from pulse.alerts.directory import DestinationDirectory
from pulse.alerts.errors import UnknownDestinationError
from pulse.alerts.url_safety import UrlPolicy
from pulse.settings import Settings
from pulse.topics.compacted import acknowledged_producer

CATCH_UP_SECONDS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="add a destination and print its signing secret (once)")
    add.add_argument("tenant_id")
    add.add_argument("kind", choices=["webhook", "email", "chat"])
    add.add_argument("target", help="the URL (webhook, chat) or comma-separated e-mail addresses")
    listing = sub.add_parser("list", help="print a tenant's destinations (no secrets)")
    listing.add_argument("tenant_id")
    rotate = sub.add_parser(
        "rotate", help="new signing secret (printed once); the old one keeps signing until --finish"
    )
    rotate.add_argument("tenant_id")
    rotate.add_argument("destination_id")
    rotate.add_argument("--finish", action="store_true", help="stop signing with the old secret")
    remove = sub.add_parser("remove", help="remove a destination")
    remove.add_argument("tenant_id")
    remove.add_argument("destination_id")


def run(args: argparse.Namespace, settings: Settings) -> int:
    topic = settings.topic("alerts.destinations")
    producer = acknowledged_producer(settings.kafka)
    if args.action == "add":
        kind: Kind = args.kind
        if kind == "email":
            addresses = tuple(a.strip() for a in args.target.split(",") if a.strip())
            destination = new_destination(args.tenant_id, kind, addresses=addresses)
        else:
            UrlPolicy.from_settings(settings.alerts).check_url(args.target)
            destination = new_destination(args.tenant_id, kind, url=args.target)
        publish_destination(producer, topic, destination)
        print("\t".join([destination.destination_id, kind, *destination.secrets]))
        if destination.secrets:
            print("store this signing secret now: it is not shown again", flush=True)
        return 0
    with DestinationDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(CATCH_UP_SECONDS)
        if args.action == "list":
            for listed in directory.of_tenant(args.tenant_id):
                print(describe(listed))
            return 0
        found = directory.get(args.destination_id)
        if found is None or found.tenant_id != args.tenant_id:
            raise UnknownDestinationError(
                f"tenant {args.tenant_id!r} has no destination {args.destination_id!r}",
                tenant_id=args.tenant_id,
                destination_id=args.destination_id,
            )
        if args.action == "remove":
            remove_destination(producer, topic, found.destination_id)
            print(f"{found.destination_id} removed")
        elif args.finish:
            publish_destination(producer, topic, found.rotation_finished())
            print(f"{found.destination_id} signs with its current secret only")
        else:
            rotated = found.rotated(new_secret())
            publish_destination(producer, topic, rotated)
            print(f"{found.destination_id}\t{rotated.secrets[0]}")
            print("store this signing secret now: it is not shown again", flush=True)
    return 0


def describe(destination: Destination) -> str:
    """``id kind target state secrets`` tab-separated; the count of secrets, never one."""
    state = "enabled" if destination.enabled else f"disabled: {destination.disabled_reason}"
    signing = f"{len(destination.secrets)} secret(s)" if destination.secrets else "unsigned"
    return "\t".join(
        (destination.destination_id, destination.kind, destination.target(), state, signing)
    )
