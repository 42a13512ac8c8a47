"""Synthetic traffic for the demo and the end-to-end tests.

It writes what real platforms send, warts included: conversations answered by bots before an
agent, agents' replies that reach Kafka before the conversation's creation, exact duplicates
(retries), late events from days before, and timestamps written with assorted offsets and
fractional digits. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

CHANNELS = ("whatsapp", "email", "webchat", "sms")
PRIORITIES = ("low", "normal", "high", "urgent")
OUTREACH_OUTCOMES = (
    ("message.delivered", 0.9),
    ("message.read", 0.55),
    ("message.clicked", 0.2),
    ("message.failed", 0.06),
    ("message.complained", 0.01),
    ("message.unsubscribed", 0.02),
)


@dataclass(frozen=True)
class TenantPlan:
    tenant_id: str
    timezone: str


@dataclass
class Simulation:
    """What to generate: tenants, an event-time range, and how messy the stream is."""

    tenants: list[TenantPlan]
    start: datetime
    end: datetime
    conversations_per_tenant: int = 300
    campaign_messages_per_tenant: int = 500
    duplicate_rate: float = 0.06
    late_rate: float = 0.02
    shuffle_window: int = 40
    seed: int = 7
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def events(self) -> list[dict[str, object]]:
        """The stream in publication order: shuffled locally, with duplicates and late events."""
        rng = self._rng
        stream: list[dict[str, object]] = []
        for tenant in self.tenants:
            for _ in range(self.conversations_per_tenant):
                stream.extend(self._conversation(tenant))
            for _ in range(self.campaign_messages_per_tenant):
                stream.extend(self._campaign_message(tenant))
            stream.extend(self._other_events(tenant))
        stream.sort(key=lambda e: str(e["occurred_at_sort"]))
        is_late = [rng.random() < self.late_rate for _ in stream]
        late = [e for e, flag in zip(stream, is_late, strict=True) if flag]
        on_time = self._shuffle_locally(
            [e for e, flag in zip(stream, is_late, strict=True) if not flag]
        )
        ordered = on_time + late  # late events reach Kafka after everything newer than them
        for event in list(ordered):
            if rng.random() < self.duplicate_rate:
                ordered.insert(rng.randrange(len(ordered) + 1), dict(event))
        for event in ordered:
            event.pop("occurred_at_sort", None)
        return ordered

    def _shuffle_locally(self, events: list[dict[str, object]]) -> list[dict[str, object]]:
        keyed = [(i + self._rng.uniform(0, self.shuffle_window), e) for i, e in enumerate(events)]
        keyed.sort(key=lambda pair: pair[0])
        return [e for _, e in keyed]

    def _instant(self) -> datetime:
        span = (self.end - self.start).total_seconds()
        return self.start + timedelta(seconds=self._rng.uniform(0, span))

    def _event(
        self, tenant: TenantPlan, event_type: str, at: datetime, **fields: object
    ) -> dict[str, object]:
        event: dict[str, object] = {
            "event_id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "tenant_id": tenant.tenant_id,
            "event_type": event_type,
            "occurred_at": self._write_time(at),
            "occurred_at_sort": at.astimezone(UTC).isoformat(),
        }
        event.update({k: v for k, v in fields.items() if v is not None})
        return event

    def _write_time(self, at: datetime) -> str:
        """An ISO-8601 form with a random offset and 0, 3 or 6 fractional digits."""
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # the contract keeps ms
        offset = timedelta(hours=self._rng.choice((0, 0, -3, 1, 5.5, -8)))
        local = at.astimezone(timezone(offset))
        digits = self._rng.choice((0, 3, 6))
        if digits == 0:
            local = local.replace(microsecond=0)
        text = local.isoformat(
            timespec={0: "seconds", 3: "milliseconds", 6: "microseconds"}[digits]
        )
        return text.replace("+00:00", "Z") if self._rng.random() < 0.5 else text

    def _conversation(self, tenant: TenantPlan) -> Iterator[dict[str, object]]:
        rng = self._rng
        conv = f"conv-{rng.getrandbits(48):012x}"
        channel = rng.choice(CHANNELS)
        created = self._instant()
        common: dict[str, object] = {"conversation_id": conv, "channel": channel}
        yield self._event(
            tenant, "conversation.created", created, priority=rng.choice(PRIORITIES), **common
        )
        t = created + timedelta(seconds=rng.uniform(1, 30))
        yield self._message(tenant, "message.received", t, "inbound", "contact", common)
        if rng.random() < 0.7:
            t += timedelta(seconds=rng.uniform(1, 20))
            yield self._message(tenant, "message.sent", t, "outbound", "bot", common)
        if rng.random() < 0.1:  # a system notice, not a response
            yield self._message(tenant, "message.sent", t, "outbound", "system", common)
        if rng.random() < 0.85:  # answered by an agent, sometimes hours later
            t = created + timedelta(seconds=rng.expovariate(1 / 1800))
            for _ in range(rng.randint(1, 3)):
                sent = self._message(tenant, "message.sent", t, "outbound", "agent", common)
                yield sent
                yield self._message(
                    tenant,
                    "message.delivered",
                    t + timedelta(seconds=2),
                    "outbound",
                    "agent",
                    common,
                    message_id=sent["message_id"],
                )
                t += timedelta(seconds=rng.uniform(30, 600))
        if rng.random() < 0.6:
            yield self._event(tenant, "conversation.resolved", t + timedelta(minutes=5), **common)

    def _message(
        self,
        tenant: TenantPlan,
        event_type: str,
        at: datetime,
        direction: str,
        sender: str,
        common: Mapping[str, object],
        message_id: object = None,
    ) -> dict[str, object]:
        return self._event(
            tenant,
            event_type,
            at,
            message_id=message_id or f"msg-{self._rng.getrandbits(48):012x}",
            direction=direction,
            sender_type=sender,
            agent_id="agent-1" if sender == "agent" else None,
            **common,
        )

    def _campaign_message(self, tenant: TenantPlan) -> Iterator[dict[str, object]]:
        rng = self._rng
        at = self._instant()
        fields = {
            "message_id": f"msg-{rng.getrandbits(48):012x}",
            "channel": rng.choice(("email", "sms", "whatsapp")),
            "direction": "outbound",
            "sender_type": "system",
            "campaign_id": f"camp-{rng.randint(1, 5)}",
            "template_id": f"tpl-{rng.randint(1, 8)}",
        }
        yield self._event(tenant, "message.sent", at, **fields)
        for event_type, p in OUTREACH_OUTCOMES:
            if rng.random() < p:
                at += timedelta(seconds=rng.uniform(1, 3600))
                yield self._event(tenant, event_type, at, **fields)

    def _other_events(self, tenant: TenantPlan) -> Iterator[dict[str, object]]:
        rng = self._rng
        for _ in range(20):
            yield self._event(
                tenant, "contact.created", self._instant(), contact_id=f"c-{rng.getrandbits(32)}"
            )
            yield self._event(
                tenant,
                "web.page_view",
                self._instant(),
                visitor_id=f"v-{rng.randint(1, 50)}",
                url="https://example.com/pricing",
                ip="203.0.113.77",
                dnt=rng.random() < 0.2,
            )
            yield self._event(
                tenant,
                "csat.submitted",
                self._instant(),
                conversation_id=f"conv-{rng.getrandbits(48):012x}",
                score=rng.randint(1, 5),
            )


def now_utc() -> datetime:
    return datetime.now(UTC)
