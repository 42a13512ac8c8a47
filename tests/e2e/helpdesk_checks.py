"""Asks the API the helpdesk questions and compares every answer with the oracle's.

The queries write their arguments inline (no variables), so they name no GraphQL input type:
the test depends on field and argument names only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.harness import Pipeline
from tests.e2e.oracle_helpdesk import (
    NO_FILTERS,
    Event,
    Figures,
    Filters,
    camel,
    helpdesk_metrics,
    unanswered,
)

FIGURES = " ".join(camel(f.name) for f in fields(Figures))
UNANSWERED_FIELDS = "conversationId createdAt ageSeconds channel priority deadline breached atRisk"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def arguments(values: dict[str, object]) -> str:
    """GraphQL arguments written inline; enums are given as ``Enum(NAME)``."""
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        literal = value.name if isinstance(value, Enum) else json.dumps(value)
        parts.append(f"{name}: {literal}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Enum:
    name: str


@dataclass(frozen=True)
class Question:
    """One helpdeskMetrics question; ``zone`` is the zone the oracle buckets in."""

    tenant: str
    zone: str
    sla_ms: dict[str, int]
    granularity: str
    start: datetime
    end: datetime
    as_of: datetime | None
    time_zone: str | None = None
    filters: Filters = NO_FILTERS

    def graphql(self) -> str:
        args = arguments(
            {
                "from": iso(self.start),
                "to": iso(self.end),
                "granularity": Enum(self.granularity.upper()),
                "asOf": iso(self.as_of) if self.as_of else None,
                "timeZone": self.time_zone,
                "channel": self.filters.channel,
                "orgUnit": self.filters.org_unit,
                "agent": self.filters.agent,
                "priority": Enum(self.filters.priority.upper()) if self.filters.priority else None,
            }
        )
        return (
            f"query {{ helpdeskMetrics({args}) {{ timeZone "
            f"buckets {{ start end localStart {FIGURES} }} totals {{ {FIGURES} }} }} }}"
        )


def ask(pipeline: Pipeline, question: Question) -> dict[str, Any]:
    body = pipeline.graphql(question.tenant, question.graphql(), {})
    assert "errors" not in body, (question, body)
    answer: dict[str, Any] = body["data"]["helpdeskMetrics"]
    return answer


def differences(got: dict[str, Any], want: dict[str, object]) -> dict[str, tuple[object, object]]:
    return {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}


def assert_metrics(
    pipeline: Pipeline, events: list[Event], question: Question, now: datetime
) -> None:
    """Every bucket (start, end, local start, figures) and the totals equal the oracle's."""
    got = ask(pipeline, question)
    label = (question.tenant, question.granularity, question.time_zone, question.filters)
    assert got["timeZone"] == question.zone, (label, got["timeZone"])
    want = helpdesk_metrics(
        events,
        question.tenant,
        zone=question.zone,
        sla_ms=question.sla_ms,
        granularity=question.granularity,
        start=question.start,
        end=question.end,
        as_of=question.as_of or now,
        filters=question.filters,
    )
    starts = [(instant(b["start"]), instant(b["end"])) for b in got["buckets"]]
    assert starts == [(s, e) for s, e, _ in want.buckets], (label, starts[:3], len(starts))
    zone = ZoneInfo(question.zone)
    for bucket, (start, _, figures) in zip(got["buckets"], want.buckets, strict=True):
        local = datetime.fromisoformat(bucket["localStart"])
        assert local == start, (label, bucket["localStart"], start)
        assert local.utcoffset() == start.astimezone(zone).utcoffset(), (label, bucket)
        diff = differences(bucket, figures.as_graphql())
        assert not diff, (label, iso(start), diff)
    diff = differences(got["totals"], want.totals.as_graphql())
    assert not diff, (label, "totals", diff)


def assert_unanswered(
    pipeline: Pipeline,
    events: list[Event],
    tenant: str,
    sla_ms: dict[str, int],
    *,
    as_of: datetime,
    at_risk_minutes: int,
    limit: int,
    filters: Filters = NO_FILTERS,
) -> int:
    """The live list equals the oracle's, in order; returns its length."""
    args = arguments(
        {
            "asOf": iso(as_of),
            "atRiskMinutes": at_risk_minutes,
            "limit": limit,
            "channel": filters.channel,
            "orgUnit": filters.org_unit,
            "agent": filters.agent,
            "priority": Enum(filters.priority.upper()) if filters.priority else None,
        }
    )
    query = f"query {{ unansweredConversations({args}) {{ {UNANSWERED_FIELDS} }} }}"
    body = pipeline.graphql(tenant, query, {})
    assert "errors" not in body, (query, body)
    got = body["data"]["unansweredConversations"]
    want = unanswered(
        events,
        tenant,
        sla_ms=sla_ms,
        as_of=as_of,
        at_risk_ms=at_risk_minutes * 60_000,
        limit=limit,
        filters=filters,
    )
    label = (tenant, iso(as_of), at_risk_minutes, limit, filters)
    assert [g["conversationId"] for g in got] == [w.conversation_id for w in want], label
    for g, w in zip(got, want, strict=True):
        assert instant(g["createdAt"]) == w.created_at, (label, g)
        assert instant(g["deadline"]) == w.deadline, (label, g)
        # Seconds with the milliseconds, or whole seconds: either is a faithful age.
        assert g["ageSeconds"] in (w.age_ms / 1000, w.age_ms // 1000), (label, g, w.age_ms)
        assert (g["channel"], str(g["priority"]).lower()) == (w.channel, w.priority), (label, g)
        assert (g["breached"], g["atRisk"]) == (w.breached, w.at_risk), (label, g)
    return len(want)
