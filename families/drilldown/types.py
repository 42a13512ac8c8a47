"""The drill-down's GraphQL types: a page of rows per kind, the rows in camelCase."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from pulse.families.helpdesk.types import instant


def _at(value: Any) -> datetime | None:
    return None if value is None else instant(int(value))


def _seconds(value: Any) -> float | None:
    return None if value is None else int(value) / 1000


@strawberry.type(description="One of an event's free-form attributes.")
class Attribute:
    key: str
    value: str


@strawberry.type(
    description=(
        "One stored event (events_raw); empty strings for absent fields. Fields the tenant marks"
        ' sensitive read "[masked]" without the role analytics.pii.'
    )
)
class EventRow:
    event_id: str
    event_type: str
    occurred_at: datetime
    channel: str
    direction: str
    sender_type: str
    conversation_id: str
    contact_id: str
    agent_id: str
    org_unit: str
    campaign_id: str
    priority: str
    score: int | None
    name: str
    visitor_id: str
    url: str
    attributes: list[Attribute] = strawberry.field(description="By key.")


@strawberry.enum(description="A conversation's first-response SLA, judged at asOf.")
class SlaState(Enum):
    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    RESOLVED = "resolved"


@strawberry.type(
    description=(
        "A conversation with its facts, by helpdesk's rules (METRICS.md §2). slaState RESOLVED:"
        " resolved before its deadline without a first reply (neither met nor breached)."
    )
)
class ConversationRow:
    conversation_id: str
    created_at: datetime
    channel: str
    priority: str
    agent: str
    org_unit: str
    first_reply_at: datetime | None
    frt_seconds: float | None
    deadline: datetime
    sla_state: SlaState
    resolution_count: int
    first_resolution_at: datetime | None
    resolution_seconds: float | None
    csat_responses: int
    csat_score: int | None = strawberry.field(description="The latest CSAT score given.")


@strawberry.type(description="A web session (METRICS.md §3 Web), from its entry event.")
class SessionRow:
    session_key: str = strawberry.field(description="The entry event's id.")
    visitor_id: str
    started_at: datetime
    ended_at: datetime
    length_seconds: float
    page_views: int
    bounce: bool
    entry_page: str
    referrer: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    device: str
    browser: str
    os: str
    country: str


_PAGE_HELP = "cursor: pass as `after` for the next page; hasMore: whether one follows."


@strawberry.type(
    description=f"A page of events in (eventType, occurredAt, eventId) order. {_PAGE_HELP}"
)
class EventRowPage:
    rows: list[EventRow]
    cursor: str | None
    has_more: bool


@strawberry.type(description=f"A page of conversations, oldest created first. {_PAGE_HELP}")
class ConversationRowPage:
    rows: list[ConversationRow]
    cursor: str | None
    has_more: bool


@strawberry.type(description=f"A page of sessions, earliest started first. {_PAGE_HELP}")
class SessionRowPage:
    rows: list[SessionRow]
    cursor: str | None
    has_more: bool


def event_row(row: dict[str, Any]) -> EventRow:
    values = {k: v for k, v in row.items() if k != "occurred_at_ms"}
    score = values.pop("score")
    attributes = values.pop("attributes") or {}
    return EventRow(
        occurred_at=instant(int(row["occurred_at_ms"])),
        score=None if score is None else int(score),
        attributes=[Attribute(key=k, value=v) for k, v in sorted(attributes.items())],
        **{k: str(v) for k, v in values.items()},
    )


def conversation_row(row: dict[str, Any]) -> ConversationRow:
    return ConversationRow(
        conversation_id=str(row["conversation_id"]),
        created_at=instant(int(row["created_at_ms"])),
        channel=str(row["channel"]),
        priority=str(row["priority"]),
        agent=str(row["agent"]),
        org_unit=str(row["org_unit"]),
        first_reply_at=_at(row["first_reply_at_ms"]),
        frt_seconds=_seconds(row["frt_ms"]),
        deadline=instant(int(row["deadline_ms"])),
        sla_state=SlaState(str(row["sla_state"])),
        resolution_count=int(row["resolution_count"]),
        first_resolution_at=_at(row["first_resolution_at_ms"]),
        resolution_seconds=_seconds(row["resolution_ms"]),
        csat_responses=int(row["csat_responses"]),
        csat_score=None if row["csat_score"] is None else int(row["csat_score"]),
    )


_SESSION_TEXT = (
    "session_key",
    "visitor_id",
    "entry_page",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
)


def session_row(row: dict[str, Any]) -> SessionRow:
    return SessionRow(
        started_at=instant(int(row["started_at_ms"])),
        ended_at=instant(int(row["ended_at_ms"])),
        length_seconds=int(row["length_ms"]) / 1000,
        page_views=int(row["page_views"]),
        bounce=bool(row["bounce"]),
        **{k: str(row[k]) for k in _SESSION_TEXT},
    )
