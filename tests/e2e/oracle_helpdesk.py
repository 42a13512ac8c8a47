"""A plain recomputation of the helpdesk catalogue (METRICS.md §3/§4, issue 7's decisions).

Independent of the production code: it walks each conversation's deduplicated events in Python,
turns them into dated *facts* (a creation, a first response with its FRT, an SLA breach at its
deadline, …) filed under the conversation's channel, priority, agent and org unit, then sums the
facts of each bucket of the grid. Instants are UTC datetimes; durations are integer milliseconds.

Readings of issue 7 where it could be read two ways (the e2e dataset avoids the ones marked *):
- Totals cover the grid's span, first bucket's start to last bucket's end, not ``[from, to)``.
- Only breaches depend on ``as_of``; a met reply, counts and the backlog do not (*: every event
  of the dataset precedes the asOf values it is asked with).
- Without its creation a conversation's events file under their own channel and ``normal``; its
  agent is then that of its latest assignment, else of its earliest agent message (*).
- org_unit comes from the latest assignment carrying one, like the agent (*: assignments of the
  dataset carry both).
- Neither met nor breached: no reply by the deadline and a resolution before the deadline, even if
  reopened before it (*).
- Unanswered: creation known and at or before ``as_of``, no reply by then, and not closed (its
  latest resolution or reopening by ``as_of`` is not a resolution); at risk when not breached and
  the deadline is at most the margin after ``as_of`` (*: no case on the boundary).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from tests.e2e.oracle import bucket_grid, mean_seconds, nearest_rank_seconds, parse_instant, rate

MS = timedelta(milliseconds=1)


def ms_between(start: datetime, end: datetime) -> int:
    return (end - start) // MS


@dataclass(frozen=True)
class Event:
    at: datetime
    event_type: str
    raw: Mapping[str, object]

    def get(self, name: str) -> str | None:
        value = self.raw.get(name)
        return None if value is None else str(value)


def accepted(events: Iterable[Mapping[str, object]]) -> list[Event]:
    """The first occurrence of each (tenant_id, event_id), parsed (the input holds no invalid
    events, so the first occurrence is the first valid one)."""
    seen: set[tuple[str, str]] = set()
    out: list[Event] = []
    for raw in events:
        key = (str(raw["tenant_id"]), str(raw["event_id"]))
        if key not in seen:
            seen.add(key)
            out.append(Event(parse_instant(str(raw["occurred_at"])), str(raw["event_type"]), raw))
    return out


@dataclass(frozen=True)
class Filters:
    channel: str | None = None
    org_unit: str | None = None
    agent: str | None = None
    priority: str | None = None


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Dims:
    """Where a fact is filed: its conversation's channel, priority, agent and org unit."""

    channel: str
    priority: str
    agent: str | None
    org_unit: str | None

    def match(self, f: Filters) -> bool:
        return (
            (f.channel is None or f.channel == self.channel)
            and (f.priority is None or f.priority == self.priority)
            and (f.agent is None or f.agent == self.agent)
            and (f.org_unit is None or f.org_unit == self.org_unit)
        )


@dataclass(frozen=True)
class Fact:
    """One dated contribution: ``kind`` is created, resolved, reopened, frt (value: ms),
    resolution (value: ms), met, breached or csat (value: score)."""

    at: datetime
    kind: str
    dims: Dims
    value: int = 0


@dataclass
class Conversation:
    created: list[Event] = field(default_factory=list)
    assigned: list[Event] = field(default_factory=list)
    resolved: list[Event] = field(default_factory=list)
    reopened: list[Event] = field(default_factory=list)
    agent_messages: list[Event] = field(default_factory=list)
    csat: list[Event] = field(default_factory=list)

    @property
    def creation(self) -> Event | None:
        return min(self.created, key=lambda e: e.at) if self.created else None

    @property
    def first_reply(self) -> Event | None:
        """The first agent message at or after creation (earlier ones are not responses)."""
        creation = self.creation
        if creation is None:
            return None
        replies = [m for m in self.agent_messages if m.at >= creation.at]
        return min(replies, key=lambda e: e.at) if replies else None

    def agent(self) -> str | None:
        """Latest assignment naming an agent, else the creation's agent, else the first reply's."""
        assigned = [a for a in self.assigned if a.get("agent_id")]
        if assigned:
            return max(assigned, key=lambda e: e.at).get("agent_id")
        creation = self.creation
        if creation is not None and creation.get("agent_id"):
            return creation.get("agent_id")
        if creation is not None:
            reply = self.first_reply
        else:
            reply = min(self.agent_messages, key=lambda e: e.at, default=None)
        return reply.get("agent_id") if reply else None

    def org_unit(self) -> str | None:
        assigned = [a for a in self.assigned if a.get("org_unit")]
        if assigned:
            return max(assigned, key=lambda e: e.at).get("org_unit")
        creation = self.creation
        return creation.get("org_unit") if creation else None

    def dims(self, event: Event) -> Dims:
        """The conversation's dims; without a creation, the event's own channel and normal."""
        creation = self.creation
        source = creation if creation is not None else event
        priority = (creation.get("priority") if creation else None) or "normal"
        return Dims(source.get("channel") or "", priority, self.agent(), self.org_unit())


def conversations(events: Iterable[Event], tenant: str) -> dict[str, Conversation]:
    """The tenant's conversations, each with its helpdesk events sorted by kind."""
    out: dict[str, Conversation] = defaultdict(Conversation)
    for e in events:
        conv_id = e.get("conversation_id")
        if e.raw["tenant_id"] != tenant or conv_id is None:
            continue
        conv = out[conv_id]
        if e.event_type == "conversation.created":
            conv.created.append(e)
        elif e.event_type == "conversation.assigned":
            conv.assigned.append(e)
        elif e.event_type == "conversation.resolved":
            conv.resolved.append(e)
        elif e.event_type == "conversation.reopened":
            conv.reopened.append(e)
        elif e.event_type == "message.sent" and e.get("sender_type") == "agent":
            conv.agent_messages.append(e)
        elif e.event_type == "csat.submitted":
            conv.csat.append(e)
    return out


def conversation_facts(
    conv: Conversation, sla_ms: Mapping[str, int], as_of: datetime
) -> list[Fact]:
    """Everything one conversation contributes, at the instant it belongs to."""
    facts = [Fact(e.at, "created", conv.dims(e)) for e in conv.created]
    facts += [Fact(e.at, "reopened", conv.dims(e)) for e in conv.reopened]
    facts += [Fact(e.at, "resolved", conv.dims(e)) for e in conv.resolved]
    facts += [Fact(e.at, "csat", conv.dims(e), int(str(e.raw["score"]))) for e in conv.csat]
    creation = conv.creation
    if creation is None:
        return facts
    dims = conv.dims(creation)
    for e in conv.resolved:
        if e.at >= creation.at:
            facts.append(Fact(e.at, "resolution", dims, ms_between(creation.at, e.at)))
    deadline = creation.at + sla_ms[dims.priority] * MS
    reply = conv.first_reply
    if reply is not None:
        facts.append(Fact(reply.at, "frt", dims, ms_between(creation.at, reply.at)))
    if reply is not None and reply.at <= deadline:
        facts.append(Fact(reply.at, "met", dims))
    elif deadline <= as_of and not any(creation.at <= r.at < deadline for r in conv.resolved):
        facts.append(Fact(deadline, "breached", dims))
    return facts


@dataclass(frozen=True)
class Figures:
    """METRICS.md §3 Helpdesk for one bucket or a range, as the API answers them."""

    conversations_created: int
    conversations_resolved: int
    conversations_reopened: int
    first_responses: int
    frt_avg_seconds: float | None
    frt_p50_seconds: float | None
    frt_p90_seconds: float | None
    resolutions: int
    resolution_avg_seconds: float | None
    resolution_p50_seconds: float | None
    resolution_p90_seconds: float | None
    sla_met: int
    sla_breached: int
    sla_breach_rate: float | None
    backlog: int
    csat_responses: int
    csat_avg: float | None
    csat_percent: float | None

    def as_graphql(self) -> dict[str, object]:
        """The figures under their GraphQL names (METRICS.md's names in camelCase)."""
        return {camel(f.name): getattr(self, f.name) for f in fields(self)}


def mean_score(scores: list[int]) -> float:
    value = Decimal(sum(scores)) / Decimal(len(scores))
    return float(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def figures(facts: list[Fact], start: datetime, end: datetime) -> Figures:
    """The figures of ``[start, end)``; the backlog counts every fact before ``end``."""
    inside: dict[str, list[int]] = defaultdict(list)
    for fact in facts:
        if start <= fact.at < end:
            inside[fact.kind].append(fact.value)
    backlog = sum(
        {"created": 1, "reopened": 1, "resolved": -1}.get(f.kind, 0) for f in facts if f.at < end
    )
    frt, resolution, scores = inside["frt"], inside["resolution"], inside["csat"]
    met, breached = len(inside["met"]), len(inside["breached"])
    return Figures(
        conversations_created=len(inside["created"]),
        conversations_resolved=len(inside["resolved"]),
        conversations_reopened=len(inside["reopened"]),
        first_responses=len(frt),
        frt_avg_seconds=mean_seconds(frt) if frt else None,
        frt_p50_seconds=nearest_rank_seconds(frt, 50) if frt else None,
        frt_p90_seconds=nearest_rank_seconds(frt, 90) if frt else None,
        resolutions=len(resolution),
        resolution_avg_seconds=mean_seconds(resolution) if resolution else None,
        resolution_p50_seconds=nearest_rank_seconds(resolution, 50) if resolution else None,
        resolution_p90_seconds=nearest_rank_seconds(resolution, 90) if resolution else None,
        sla_met=met,
        sla_breached=breached,
        sla_breach_rate=rate(breached, met + breached),
        backlog=backlog,
        csat_responses=len(scores),
        csat_avg=mean_score(scores) if scores else None,
        csat_percent=rate(sum(1 for s in scores if s >= 4), len(scores)),
    )


@dataclass(frozen=True)
class HelpdeskAnswer:
    buckets: list[tuple[datetime, datetime, Figures]]
    totals: Figures


def tenant_facts(
    events: Iterable[Event], tenant: str, sla_ms: Mapping[str, int], as_of: datetime
) -> list[Fact]:
    return [
        fact
        for conv in conversations(events, tenant).values()
        for fact in conversation_facts(conv, sla_ms, as_of)
    ]


def helpdesk_metrics(
    events: Iterable[Event],
    tenant: str,
    *,
    zone: str,
    sla_ms: Mapping[str, int],
    granularity: str,
    start: datetime,
    end: datetime,
    as_of: datetime,
    filters: Filters = NO_FILTERS,
) -> HelpdeskAnswer:
    """Every bucket whose start is in ``[start, end)`` and the totals over those buckets."""
    facts = [f for f in tenant_facts(events, tenant, sla_ms, as_of) if f.dims.match(filters)]
    grid = bucket_grid(zone, granularity, start, end)
    buckets = [(s, e, figures(facts, s, e)) for s, e in grid]
    totals = figures(facts, grid[0][0], grid[-1][1])
    return HelpdeskAnswer(buckets, totals)


@dataclass(frozen=True)
class Unanswered:
    conversation_id: str
    created_at: datetime
    age_ms: int
    channel: str
    priority: str
    deadline: datetime
    breached: bool
    at_risk: bool


def unanswered(
    events: Iterable[Event],
    tenant: str,
    *,
    sla_ms: Mapping[str, int],
    as_of: datetime,
    at_risk_ms: int,
    limit: int,
    filters: Filters = NO_FILTERS,
) -> list[Unanswered]:
    """Open conversations created by ``as_of`` with no agent reply by then, oldest first.

    Open: no resolution, or the latest of its resolutions and reopenings (by ``as_of``) is a
    reopening. At risk: not breached and the deadline is at most ``at_risk_ms`` after ``as_of``.
    """
    out: list[Unanswered] = []
    for conv_id, conv in conversations(events, tenant).items():
        creation = conv.creation
        if creation is None or creation.at > as_of:
            continue
        reply = conv.first_reply
        if reply is not None and reply.at <= as_of:
            continue
        changes = sorted(
            (e.at, e.event_type) for e in conv.resolved + conv.reopened if e.at <= as_of
        )
        if changes and changes[-1][1] == "conversation.resolved":
            continue
        dims = conv.dims(creation)
        if not dims.match(filters):
            continue
        deadline = creation.at + sla_ms[dims.priority] * MS
        breached = deadline <= as_of
        out.append(
            Unanswered(
                conversation_id=conv_id,
                created_at=creation.at,
                age_ms=ms_between(creation.at, as_of),
                channel=dims.channel,
                priority=dims.priority,
                deadline=deadline,
                breached=breached,
                at_risk=not breached and ms_between(as_of, deadline) <= at_risk_ms,
            )
        )
    out.sort(key=lambda u: (u.created_at, u.conversation_id))
    return out[:limit]
