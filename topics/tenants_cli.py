"""``pulse tenants set TENANT --timezone ZONE [--sla urgent=10m,…] [--engaged-events a,b]
[--sensitive attributes.email,contact_id] [--export-row-limit N]`` and ``pulse tenants list``.

``set`` writes a tenant's whole settings, never a patch of them: a priority ``--sla`` does not
name takes its default (METRICS.md), so the same command always leaves the same settings, and
nothing has to read the topic (or race another writer) before writing.
"""

from __future__ import annotations

import argparse

from pulse.privacy.windows import parse_windows
from pulse.settings import Settings
from pulse.topics.sla import format_sla, parse_sla
from pulse.topics.tenants import TenantDirectory, TenantSettings, publish_tenant


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    set_parser = sub.add_parser("set", help="publish a tenant's settings (all of them)")
    set_parser.add_argument("tenant_id")
    set_parser.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Lisbon")
    set_parser.add_argument(
        "--sla",
        help=(
            "first-response targets, e.g. urgent=10m,high=30m,normal=2h,low=8h (units s, m, h,"
            " d); priorities left out take the defaults urgent=15m,high=1h,normal=4h,low=1d"
        ),
    )
    set_parser.add_argument(
        "--engaged-events",
        help="web.event names that make a web session engaged (not a bounce), e.g. signup,play",
    )
    set_parser.add_argument(
        "--retention",
        help="own retention windows, e.g. raw=90d,aggregates=24M,csat=24M (units h, d, w, M, y);"
        " kinds left out take PULSE_PRIVACY_RETENTION_*",
    )
    set_parser.add_argument(
        "--sensitive",
        help="drill-down and export fields masked to tokens without analytics.pii, e.g."
        " attributes.email,attributes.phone,contact_id (attributes: every attribute)",
    )
    set_parser.add_argument(
        "--export-row-limit",
        type=int,
        help="the most rows one export writes (never above PULSE_API_EXPORT_ROW_LIMIT)",
    )
    sub.add_parser("list", help="print every tenant's current settings")


def run(args: argparse.Namespace, settings: Settings) -> int:
    topic = settings.topic("tenants")
    if args.action == "set":
        sla = getattr(args, "sla", None)
        engaged = getattr(args, "engaged_events", None)
        retention = {
            k: str(w) for k, w in parse_windows(getattr(args, "retention", None) or "").items()
        }
        tenant = TenantSettings(
            timezone=args.timezone,
            sla_ms=parse_sla(sla) if sla else {},
            engaged_events=_names(engaged),
            retention=retention,
            sensitive=_names(getattr(args, "sensitive", None)),
            export_row_limit=getattr(args, "export_row_limit", None),
        )
        publish_tenant(settings.kafka, topic, args.tenant_id, tenant)
        print(f"{args.tenant_id}: {describe(tenant)} (written to {topic})")
        return 0
    with TenantDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(timeout=30)
        for tenant_id, tenant in sorted(directory.snapshot().items()):
            print(f"{tenant_id}\t{describe(tenant)}")
    return 0


def _names(listed: str | None) -> tuple[str, ...]:
    return tuple(n.strip() for n in (listed or "").split(",") if n.strip())


def describe(tenant: TenantSettings) -> str:
    described = f"timezone={tenant.timezone} sla={format_sla(tenant.sla_ms)}"
    if tenant.engaged_events:
        described += f" engaged_events={','.join(tenant.engaged_events)}"
    if tenant.retention:
        described += f" retention={','.join(f'{k}={v}' for k, v in tenant.retention.items())}"
    if tenant.sensitive:
        described += f" sensitive={','.join(tenant.sensitive)}"
    if tenant.export_row_limit is not None:
        described += f" export_row_limit={tenant.export_row_limit}"
    return described
