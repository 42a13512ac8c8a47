"""The helpdesk dataset of the end-to-end test: random conversations plus hand-placed edge cases.

Per tenant: ~120 random conversations (bots, system notices, assignments, late and missing agent
replies, reopenings, CSAT, duplicates) between 20 October and 3 November 2026, and at fixed
instants: two conversations in the two local 01:00 hours of a fall-back night (or at a +05:30
midnight), replies exactly at the SLA deadline and 1 ms after it, a reopened conversation with
bot and system messages before the agent, an agent message before the creation, unanswered
conversations pending, at risk and breached at ``last_event``, and a conversation whose
``conversation.created`` is held back to a second publication (it arrives "days late").

Where issue 7 leaves a choice to the implementers (filing of events whose conversation has no
creation under filters, a resolution before the deadline followed by a reopening, ties), the
data stays clear of it so that the comparison tests the decisions, not a guess.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

MINUTE = 60_000
HOUR = 60 * MINUTE
# METRICS.md §3's defaults, restated here: the oracle does not read production constants.
DEFAULT_SLA = {"urgent": 15 * MINUTE, "high": HOUR, "normal": 4 * HOUR, "low": 24 * HOUR}
CUSTOM_SLA = {"urgent": 10 * MINUTE, "high": 30 * MINUTE, "normal": 2 * HOUR, "low": 8 * HOUR}
CUSTOM_SLA_FLAG = "urgent=10m,high=30m,normal=2h,low=8h"

CHANNELS = ("whatsapp", "email", "webchat")
PRIORITIES = ("low", "normal", "high", "urgent")
AGENTS = ("agent-a", "agent-b", "agent-c")
ORG_UNITS = ("sales", "support")
BULK_START = datetime(2026, 10, 20, tzinfo=UTC)
BULK_END = datetime(2026, 11, 3, tzinfo=UTC)
LAST_EVENT = datetime(2026, 11, 4, 6, 0, tzinfo=UTC)
LATE_CREATED_AT = datetime(2026, 10, 22, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class HelpdeskTenant:
    tenant_id: str
    zone: str
    sla_ms: Mapping[str, int]
    sla_flag: str | None
    # Instants that straddle a local oddity: a fall-back's repeated hour, or a +05:30 midnight.
    oddity: tuple[datetime, datetime]
    # A local hour boundary: the exact-deadline cases' deadlines fall on it.
    hour_boundary: datetime


TENANTS = (
    HelpdeskTenant(
        "hd-lisbon",
        "Europe/Lisbon",
        CUSTOM_SLA,
        CUSTOM_SLA_FLAG,
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        datetime(2026, 10, 28, 10, 0, tzinfo=UTC),
    ),
    HelpdeskTenant(
        "hd-newyork",
        "America/New_York",
        DEFAULT_SLA,
        None,
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
        datetime(2026, 10, 28, 10, 0, tzinfo=UTC),
    ),
    HelpdeskTenant(
        "hd-kolkata",
        "Asia/Kolkata",
        DEFAULT_SLA,
        None,
        (
            datetime(2026, 10, 27, 18, 29, 59, 999000, tzinfo=UTC),
            datetime(2026, 10, 27, 18, 30, tzinfo=UTC),
        ),
        datetime(2026, 10, 28, 10, 30, tzinfo=UTC),
    ),
)


def ms(n: int) -> timedelta:
    return timedelta(milliseconds=n)


@dataclass
class HelpdeskDataset:
    """``early`` is published first; ``late`` (held-back creations) after the pipeline caught up."""

    seed: int = 5
    conversations_per_tenant: int = 120
    duplicate_rate: float = 0.06
    early: list[dict[str, object]] = field(default_factory=list)
    late: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        for tenant in TENANTS:
            for i in range(self.conversations_per_tenant):
                self._random_conversation(tenant, f"conv-{i:04d}")
            self._edge_cases(tenant)
        self.early = self._with_duplicates(self.early)
        self._rng.shuffle(self.early)

    # -- writing events ----------------------------------------------------------------------

    def _emit(
        self,
        tenant: HelpdeskTenant,
        event_type: str,
        at: datetime,
        conv: str,
        channel: str,
        *,
        late: bool = False,
        **fields: object,
    ) -> dict[str, object]:
        event: dict[str, object] = {
            "event_id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "tenant_id": tenant.tenant_id,
            "event_type": event_type,
            "occurred_at": self._write_time(at),
            "conversation_id": conv,
            "channel": channel,
        }
        event.update({k: v for k, v in fields.items() if v is not None})
        (self.late if late else self.early).append(event)
        return event

    def _message(
        self,
        tenant: HelpdeskTenant,
        at: datetime,
        conv: str,
        channel: str,
        sender: str,
        agent: str | None = None,
    ) -> None:
        self._emit(
            tenant,
            "message.received" if sender == "contact" else "message.sent",
            at,
            conv,
            channel,
            message_id=f"msg-{self._rng.getrandbits(48):012x}",
            direction="inbound" if sender == "contact" else "outbound",
            sender_type=sender,
            agent_id=agent,
        )

    def _write_time(self, at: datetime) -> str:
        """The instant (ms kept) written with one of several offsets, 3 or 6 fraction digits."""
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        offset = timedelta(minutes=self._rng.choice((0, 0, 60, -180, 330, -480)))
        text = at.astimezone(timezone(offset)).isoformat(
            timespec=self._rng.choice(("milliseconds", "microseconds"))
        )
        return text.replace("+00:00", "Z")

    def _with_duplicates(self, events: list[dict[str, object]]) -> list[dict[str, object]]:
        copies = [dict(e) for e in events if self._rng.random() < self.duplicate_rate]
        return events + copies

    # -- random traffic ----------------------------------------------------------------------

    def _random_conversation(self, tenant: HelpdeskTenant, conv: str) -> None:
        rng = self._rng
        span_ms = (BULK_END - BULK_START) // ms(1)
        created = BULK_START + ms(rng.randrange(span_ms))
        channel = rng.choice(CHANNELS)
        agent = rng.choice(AGENTS)
        self._emit(
            tenant,
            "conversation.created",
            created,
            conv,
            channel,
            priority=rng.choice((*PRIORITIES, None)),
            agent_id=agent if rng.random() < 0.3 else None,
            org_unit=rng.choice(ORG_UNITS) if rng.random() < 0.5 else None,
        )
        self._message(tenant, created + ms(rng.randrange(1_000, 30_000)), conv, channel, "contact")
        if rng.random() < 0.5:
            self._message(tenant, created + ms(rng.randrange(30_000, 60_000)), conv, channel, "bot")
        if rng.random() < 0.1:
            self._message(tenant, created + ms(rng.randrange(60_000)), conv, channel, "system")
        at = created
        for _ in range(rng.choice((0, 1, 1, 2))):
            at += ms(rng.randrange(1, 10 * MINUTE))
            agent = rng.choice(AGENTS)
            self._emit(
                tenant,
                "conversation.assigned",
                at,
                conv,
                channel,
                agent_id=agent,
                org_unit=rng.choice(ORG_UNITS),
            )
        if rng.random() < 0.05:  # reaches the platform before the creation: not a response
            self._message(
                tenant, created - ms(rng.randrange(1, MINUTE)), conv, channel, "agent", agent
            )
        if rng.random() < 0.85:
            reply = created + ms(min(int(rng.expovariate(1 / (40 * MINUTE))), 10 * HOUR))
            self._message(tenant, reply, conv, channel, "agent", agent)
            self._resolutions(tenant, conv, channel, agent, reply, reopen=rng.random() < 0.2)
        elif rng.random() < 0.6:  # closed without an agent: before or after its deadline
            done = created + ms(rng.randrange(MINUTE, 3 * HOUR))
            self._emit(tenant, "conversation.resolved", done, conv, channel)

    def _resolutions(
        self,
        tenant: HelpdeskTenant,
        conv: str,
        channel: str,
        agent: str,
        after: datetime,
        *,
        reopen: bool,
    ) -> None:
        rng = self._rng
        if rng.random() < 0.25:
            return  # left open, answered
        done = after + ms(rng.randrange(5 * MINUTE, 3 * HOUR))
        self._emit(tenant, "conversation.resolved", done, conv, channel)
        if rng.random() < 0.4:
            score = rng.randint(1, 5)
            csat_at = done + ms(rng.randrange(MINUTE, HOUR))
            self._emit(
                tenant, "csat.submitted", csat_at, conv, channel, score=score, agent_id=agent
            )
        if reopen:
            again = done + ms(rng.randrange(10 * MINUTE, 2 * HOUR))
            self._emit(tenant, "conversation.reopened", again, conv, channel)
            self._message(
                tenant, again + ms(rng.randrange(MINUTE, HOUR)), conv, channel, "agent", agent
            )
            if rng.random() < 0.8:
                final = again + ms(rng.randrange(HOUR + 1, 3 * HOUR))
                self._emit(tenant, "conversation.resolved", final, conv, channel)

    # -- edge cases --------------------------------------------------------------------------

    def _edge_cases(self, tenant: HelpdeskTenant) -> None:
        sla = tenant.sla_ms
        for i, created in enumerate(tenant.oddity):
            conv = f"oddity-{i}"
            self._emit(tenant, "conversation.created", created, conv, "email", priority="low")
            self._message(tenant, created + ms(20 * MINUTE), conv, "email", "agent", "agent-a")
            self._emit(tenant, "conversation.resolved", created + ms(HOUR), conv, "email")
        urgent = sla["urgent"]
        cases = (("at-deadline", 0, 0), ("ms-after", 0, 1), ("deadline-before-hour", -1, 0))
        for conv, created_shift, reply_shift in cases:
            created = tenant.hour_boundary - ms(urgent) + ms(created_shift)
            self._emit(tenant, "conversation.created", created, conv, "whatsapp", priority="urgent")
            reply = tenant.hour_boundary + ms(reply_shift)
            self._message(tenant, reply, conv, "whatsapp", "agent", "agent-b")
        self._reopened(tenant)
        self._agent_before_creation(tenant)
        self._unanswered(tenant)
        self._late_creation(tenant)

    def _reopened(self, tenant: HelpdeskTenant) -> None:
        """Assigned twice, bot and system before the agent, resolved, reopened, resolved again."""
        conv, ch, t0 = "reopened", "webchat", datetime(2026, 10, 29, 14, 0, tzinfo=UTC)
        created = self._emit(tenant, "conversation.created", t0, conv, ch, priority="high")
        self._emit(
            tenant,
            "conversation.assigned",
            t0 + ms(MINUTE),
            conv,
            ch,
            agent_id="agent-a",
            org_unit="sales",
        )
        self._message(tenant, t0 + ms(5_000), conv, ch, "bot")
        self._message(tenant, t0 + ms(6_000), conv, ch, "system")
        self._emit(
            tenant,
            "conversation.assigned",
            t0 + ms(2 * MINUTE),
            conv,
            ch,
            agent_id="agent-b",
            org_unit="support",
        )
        self._message(tenant, t0 + ms(12 * MINUTE + 345), conv, ch, "agent", "agent-b")
        resolved = self._emit(tenant, "conversation.resolved", t0 + ms(HOUR), conv, ch)
        self._emit(tenant, "conversation.reopened", t0 + ms(3 * HOUR), conv, ch)
        self._message(tenant, t0 + ms(3 * HOUR + MINUTE), conv, ch, "agent", "agent-b")
        self._emit(tenant, "conversation.resolved", t0 + ms(26 * HOUR), conv, ch)
        self._emit(
            tenant, "csat.submitted", t0 + ms(27 * HOUR), conv, ch, score=5, agent_id="agent-b"
        )
        self.early += [dict(created), dict(resolved)]  # retried sends

    def _agent_before_creation(self, tenant: HelpdeskTenant) -> None:
        conv, ch, t0 = "agent-first", "whatsapp", datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
        self._message(tenant, t0 - ms(2 * MINUTE), conv, ch, "agent", "agent-c")
        self._emit(
            tenant, "conversation.created", t0, conv, ch, priority="normal", org_unit="support"
        )
        self._emit(
            tenant,
            "conversation.assigned",
            t0 + ms(MINUTE),
            conv,
            ch,
            agent_id="agent-c",
            org_unit="support",
        )
        self._message(tenant, t0 + ms(10_000), conv, ch, "bot")
        self._message(tenant, t0 + ms(7 * MINUTE), conv, ch, "agent", "agent-c")

    def _unanswered(self, tenant: HelpdeskTenant) -> None:
        """At ``LAST_EVENT``: one breached, one pending 30 min before its deadline, one urgent
        just created, a bot-only one, and one resolved without reply before its deadline."""
        sla, t = tenant.sla_ms, LAST_EVENT
        open_cases = (
            ("open-breached", "normal", t - ms(sla["normal"] + 3 * HOUR), "email"),
            ("open-edge", "low", t - ms(sla["low"] - 30 * MINUTE), "whatsapp"),
            ("open-urgent", "urgent", t, "whatsapp"),
            ("open-bot-only", "high", t - ms(40 * MINUTE), "webchat"),
        )
        for conv, priority, created, ch in open_cases:
            self._emit(
                tenant,
                "conversation.created",
                created,
                conv,
                ch,
                priority=priority,
                org_unit="support",
            )
        self._message(tenant, t - ms(40 * MINUTE - 5_000), "open-bot-only", "webchat", "bot")
        created = t - ms(HOUR)
        self._emit(
            tenant, "conversation.created", created, "closed-unanswered", "email", priority="normal"
        )
        self._emit(
            tenant, "conversation.resolved", created + ms(20 * MINUTE), "closed-unanswered", "email"
        )

    def _late_creation(self, tenant: HelpdeskTenant) -> None:
        conv, ch, t0 = "late-created", "whatsapp", LATE_CREATED_AT
        self._emit(tenant, "conversation.created", t0, conv, ch, late=True, priority="high")
        self._message(tenant, t0 + ms(20 * MINUTE), conv, ch, "agent", "agent-a")
        self._emit(tenant, "conversation.resolved", t0 + ms(2 * HOUR), conv, ch)
        self._emit(tenant, "csat.submitted", t0 + ms(2 * HOUR + 30 * MINUTE), conv, ch, score=4)

    def edge_deadline(self, tenant: HelpdeskTenant) -> datetime:
        """The deadline of ``open-edge``, 30 minutes after the last event."""
        return LAST_EVENT + ms(30 * MINUTE)
