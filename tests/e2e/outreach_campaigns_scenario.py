"""A small outreach dataset for the campaigns, templates and traffic end-to-end test: shared
campaign ids across tenants, SMS and push without read receipts, templates shared by campaigns,
a tie, a campaign with nothing delivered, Lisbon's fall-back day and +05:30, and duplicates."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

TENANTS = {"acme": "Europe/Lisbon", "globex": "Asia/Kolkata"}
START = datetime(2026, 10, 19, tzinfo=UTC)
DAYS = 11  # through 2026-10-29, across Lisbon's fall-back on 2026-10-25
CHANNELS = {"email": True, "whatsapp": True, "sms": False, "push": False}  # read receipts?
TEMPLATES = ("tpl-1", "tpl-2", "tpl-3", "tpl-4")


@dataclass
class OutreachDataset:
    """Logical events (JSON form) as ``pulse produce`` takes them, duplicates included."""

    seed: int = 8
    campaigns: int = 10
    duplicate_rate: float = 0.05
    events: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        for tenant in TENANTS:
            for n in range(1, self.campaigns + 1):
                self._campaign(tenant, f"cmp-{n:02d}")
            self._tie(tenant)
            self._undelivered(tenant)
            self._fall_back(tenant)
            self._unattributed(tenant)
        copies = [dict(e) for e in self.events if self._rng.random() < self.duplicate_rate]
        self.events += copies
        self._rng.shuffle(self.events)

    def _emit(self, tenant: str, kind: str, at: datetime, **fields: object) -> None:
        event: dict[str, object] = {
            "event_id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "tenant_id": tenant,
            "event_type": kind,
            "occurred_at": self._write_time(at),
        }
        event.update(fields)
        self.events.append(event)

    def _message(self, tenant: str, kind: str, at: datetime, **fields: object) -> None:
        inbound = kind == "received"
        self._emit(
            tenant,
            f"message.{kind}",
            at,
            message_id=f"msg-{self._rng.getrandbits(48):012x}",
            direction="inbound" if inbound else "outbound",
            sender_type="contact" if inbound else "system",
            **fields,
        )

    def _write_time(self, at: datetime) -> str:
        offset = timedelta(minutes=self._rng.choice((0, 60, -180, 330)))
        return at.astimezone(timezone(offset)).isoformat(timespec="milliseconds")

    def _at(self, day: int) -> datetime:
        return START + timedelta(days=day, seconds=self._rng.randrange(86_400))

    def _campaign(self, tenant: str, campaign: str) -> None:
        rng = self._rng
        channel = rng.choice(list(CHANNELS))
        day = rng.randrange(DAYS - 2)
        ids = {"campaign_id": campaign, "template_id": rng.choice(TEMPLATES), "channel": channel}
        name = rng.choice((f"{campaign} {tenant}", ""))
        self._emit(
            tenant,
            "campaign.started",
            self._at(day),
            campaign_id=campaign,
            name=name,
            channel=channel,
        )
        if rng.random() < 0.6:
            self._emit(
                tenant,
                "campaign.completed",
                self._at(day + 2),
                campaign_id=campaign,
                channel=channel,
            )
        sent = rng.randrange(5, 40)
        delivered = rng.randrange(sent // 2, sent + 1)
        counts = {
            "sent": sent,
            "delivered": delivered,
            "read": rng.randrange(delivered + 1) if CHANNELS[channel] else 0,
            "clicked": rng.randrange(delivered // 2 + 1),
            "failed": sent - delivered,
            "unsubscribed": rng.randrange(2),
        }
        for kind, count in counts.items():
            for _ in range(count):
                self._message(tenant, kind, self._at(day + rng.randrange(3)), **ids)

    def _tie(self, tenant: str) -> None:
        for campaign in ("tie-b", "tie-a"):
            ids = {"campaign_id": campaign, "template_id": "tpl-tie", "channel": "email"}
            for kind, count in (("sent", 4), ("delivered", 4), ("read", 2), ("clicked", 1)):
                for _ in range(count):
                    self._message(tenant, kind, self._at(3), **ids)

    def _undelivered(self, tenant: str) -> None:
        ids: dict[str, Any] = {
            "campaign_id": "push-null",
            "template_id": "tpl-1",
            "channel": "push",
        }
        for _ in range(3):
            self._message(tenant, "sent", self._at(4), **ids)
        self._message(tenant, "clicked", self._at(4), **ids)

    def _fall_back(self, tenant: str) -> None:
        # 00:00 to 02:00Z on 2026-10-25 is both of Lisbon's 01:00 hours (+01:00, then +00:00).
        for minute in (5, 35, 65, 95):
            at = datetime(2026, 10, 25, tzinfo=UTC) + timedelta(minutes=minute)
            self._message(tenant, "sent", at, channel="whatsapp")
            self._message(tenant, "received", at + timedelta(minutes=1), channel="whatsapp")

    def _unattributed(self, tenant: str) -> None:
        for day in range(DAYS):
            for _ in range(self._rng.randrange(3, 9)):
                self._message(tenant, "received", self._at(day), channel="whatsapp")
            self._message(tenant, "sent", self._at(day), channel="email")


def oracle_events(events: list[dict[str, object]]) -> list[dict[str, Any]]:
    """The first copy of each (tenant_id, event_id) in the oracle's form (UTC ms, "" absent)."""
    seen: set[tuple[object, object]] = set()
    out: list[dict[str, Any]] = []
    for e in events:
        key = (e["tenant_id"], e["event_id"])
        if key in seen:
            continue
        seen.add(key)
        at = datetime.fromisoformat(str(e["occurred_at"]))
        row = {
            c: str(e.get(c, ""))
            for c in ("channel", "org_unit", "campaign_id", "template_id", "name")
        }
        row.update(
            tenant_id=e["tenant_id"],
            event_id=e["event_id"],
            event_type=e["event_type"],
            occurred_at=int(at.timestamp() * 1000),
        )
        out.append(row)
    return out
