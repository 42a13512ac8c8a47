"""``pulse demo-events OUT.jsonl``: synthetic traffic for three tenants in three time zones."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from pathlib import Path

from pulse.settings import Settings
from pulse.simulate import Simulation, TenantPlan, now_utc

DEMO_TENANTS = [
    TenantPlan("acme", "America/New_York"),
    TenantPlan("globex", "Europe/Lisbon"),
    TenantPlan("initech", "America/Sao_Paulo"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, help="the JSONL file to write")
    parser.add_argument("--days", type=int, default=7, help="event-time span ending now")
    parser.add_argument("--conversations", type=int, default=300, help="per tenant")
    parser.add_argument(
        "--seed",
        type=int,
        help="replay one dataset (same event ids: sent again, it counts once); default: a new"
        " one each run, so a demo run on another day is not dropped as duplicates",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    end = now_utc()
    seed = int(end.timestamp()) if args.seed is None else args.seed
    sim = Simulation(
        tenants=DEMO_TENANTS,
        start=end - timedelta(days=args.days),
        end=end,
        conversations_per_tenant=args.conversations,
        seed=seed,
    )
    events = sim.events()
    with args.out.open("w") as out:
        for event in events:
            out.write(json.dumps(event) + "\n")
    print(f"wrote {len(events)} events for {len(DEMO_TENANTS)} tenants to {args.out} (seed {seed})")
    return 0
