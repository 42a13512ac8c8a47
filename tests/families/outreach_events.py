"""Outreach events as ``events_raw`` rows (campaign, template and name columns), a dataset with
the traps of issue 8 for the campaign, template and traffic figures, and a way to store them."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from pulse.families.registry import DERIVATIONS
from pulse.sinks.clickhouse import ClickHouse

COLUMNS = [
    "tenant_id",
    "event_id",
    "event_type",
    "occurred_at",
    "channel",
    "org_unit",
    "sender_type",
    "conversation_id",
    "campaign_id",
    "template_id",
    "name",
    "source_topic",
    "source_partition",
    "source_offset",
    "ingested_at",
]
_IDS = itertools.count(1)


def ms(text: str) -> int:
    """An ISO-8601 instant with its offset, in UTC milliseconds."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def row(kind: str, at: str | int, tenant: str = "acme", **fields: Any) -> dict[str, Any]:
    """One ``events_raw`` row of type ``kind``; ``at`` is ISO-8601 or UTC ms."""
    instant = ms(at) if isinstance(at, str) else at
    out: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    out.update(
        tenant_id=tenant,
        event_id=f"o{next(_IDS):07d}",
        event_type=kind,
        occurred_at=instant,
        source_topic="pulse.events.outreach",
        source_partition=0,
        source_offset=0,
        ingested_at=instant,
    )
    out.update(fields)
    return out


def messages(
    kind: str, count: int, at: str, tenant: str = "acme", **fields: Any
) -> list[dict[str, Any]]:
    """``count`` ``message.<kind>`` events one second apart from ``at``."""
    start = ms(at)
    return [row(f"message.{kind}", start + n * 1000, tenant, **fields) for n in range(count)]


def store(db: ClickHouse, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``events_raw`` and refresh what they touched, as the sink does."""
    db.insert("events_raw", rows, COLUMNS)
    raw = {column: [r[column] for r in rows] for column in COLUMNS}
    for derivation in DERIVATIONS:
        derivation.refresh(db, derivation.touched(raw))


def _campaign(
    campaign: str, template: str, channel: str, at: str, tenant: str = "acme", **counts: int
) -> list[dict[str, Any]]:
    fields = {"campaign_id": campaign, "template_id": template, "channel": channel}
    return [r for kind, n in counts.items() for r in messages(kind, n, at, tenant, **fields)]


# acme, 2026-10-19 .. 2026-10-26 (UTC). Read rates: c-spring 4/8 = 50.0 and c-tie 4/8 = 50.0 (a
# tie, c-spring first), c-sms 0/5 = 0.0 (SMS: clicks without read receipts), c-push null (nothing
# delivered). Templates: t-welcome shared by c-spring and c-sms, t-promo by c-push and c-tie.
# globex reuses the id c-spring, with other figures and name, that must never show for acme.
DATASET: list[dict[str, Any]] = [
    *_campaign(
        "c-spring",
        "t-welcome",
        "email",
        "2026-10-20T09:00:00Z",
        sent=10,
        delivered=8,
        read=4,
        clicked=2,
        failed=1,
    ),
    *_campaign("c-sms", "t-welcome", "sms", "2026-10-21T12:00:00Z", sent=5, delivered=5, clicked=2),
    *_campaign("c-push", "t-promo", "push", "2026-10-22T15:30:00Z", sent=4, clicked=1),
    *_campaign(
        "c-tie",
        "t-promo",
        "email",
        "2026-10-23T18:45:00Z",
        sent=10,
        delivered=8,
        read=4,
        clicked=1,
        unsubscribed=1,
    ),
    *messages("sent", 3, "2026-10-20T09:05:00Z", channel="email"),
    *messages("received", 6, "2026-10-21T12:10:00Z", channel="whatsapp"),
    *_campaign(
        "c-spring",
        "t-welcome",
        "email",
        "2026-10-20T09:00:00Z",
        tenant="globex",
        sent=100,
        delivered=100,
        read=100,
        clicked=50,
    ),
    row("campaign.started", "2026-10-01T08:00:00Z", campaign_id="c-spring", name="Spring"),
    row("campaign.started", "2026-10-20T08:00:00Z", campaign_id="c-spring", name="Spring Sale"),
    row("campaign.started", "2026-10-20T08:30:00Z", campaign_id="c-spring", name=""),
    row(
        "campaign.started",
        "2026-10-21T11:00:00Z",
        campaign_id="c-sms",
        name="SMS blast",
        channel="sms",
    ),
    row("campaign.started", "2026-10-21T11:30:00Z", campaign_id="c-sms", channel="sms"),
    row("campaign.completed", "2026-10-21T13:00:00Z", campaign_id="c-sms", channel="sms"),
    row("campaign.completed", "2026-10-23T20:00:00Z", campaign_id="c-tie"),
    row(
        "campaign.started",
        "2026-10-20T08:00:00Z",
        "globex",
        campaign_id="c-spring",
        name="Globex Spring",
    ),
    row("campaign.started", "2026-10-21T00:00:00Z", "globex", campaign_id="g-only"),
]
