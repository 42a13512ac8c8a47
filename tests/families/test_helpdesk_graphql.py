"""helpdeskMetrics and unansweredConversations over fake reads injected through Services."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulse.families.helpdesk.model import (
    HelpdeskAnswer,
    HelpdeskFigures,
    HelpdeskQuery,
    UnansweredConversation,
)
from pulse.families.helpdesk.reads import HelpdeskReads
from pulse.graphql.auth import Claims
from pulse.graphql.context import ApiContext, Services
from pulse.graphql.queries import Reader
from pulse.graphql.schema import build_schema
from pulse.topics.tenants import TenantSettings

NOW_MS = 1_793_000_000_000  # 2026-10-26T07:33:20Z
EMPTY = HelpdeskFigures(
    0, 0, 0, 0, None, None, None, 0, None, None, None, 0, 0, None, 0, 0, None, None
)
BUSY = HelpdeskFigures(
    3, 1, 1, 2, 90.5, 60.0, 121.0, 1, 3600.0, 3600.0, 3600.0, 1, 1, 50.0, 7, 2, 4.5, 100.0
)
FIGURES = (
    "conversationsCreated conversationsResolved conversationsReopened firstResponses"
    " frtAvgSeconds frtP50Seconds frtP90Seconds resolutions resolutionAvgSeconds"
    " resolutionP50Seconds resolutionP90Seconds slaMet slaBreached slaBreachRate backlog"
    " csatResponses csatAvg csatPercent"
)
METRICS = f"""
query($from: DateTime!, $to: DateTime!, $granularity: Granularity!, $asOf: DateTime,
      $timeZone: String, $priority: Priority, $tenantId: String, $agent: String) {{
  helpdeskMetrics(from: $from, to: $to, granularity: $granularity, asOf: $asOf,
                  timeZone: $timeZone, priority: $priority, tenantId: $tenantId,
                  agent: $agent, channel: "email", orgUnit: "support") {{
    tenantId timeZone granularity asOf
    buckets {{ start end localStart {FIGURES} }}
    totals {{ {FIGURES} }}
  }}
}}
"""
UNANSWERED = """
query($asOf: DateTime, $atRiskMinutes: Int!, $limit: Int!, $tenantId: String) {
  unansweredConversations(asOf: $asOf, atRiskMinutes: $atRiskMinutes, limit: $limit,
                          priority: URGENT, tenantId: $tenantId) {
    conversationId createdAt ageSeconds channel priority deadline breached atRisk
  }
}
"""
LISBON = TenantSettings("Europe/Lisbon", {"urgent": 600_000})


class Tenants(dict[str, TenantSettings]):
    """Tenant settings held in a dict, as the tenants topic would give them."""

    def settings_for(self, tenant_id: str) -> TenantSettings:
        return self.get(tenant_id) or TenantSettings()


class NoReader:
    """A ClickHouse the fakes never touch; any query through it is a test failure."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        raise AssertionError("the fake reads must not query ClickHouse")


class NoRealtime:
    def current_hour(self, tenant_id: str, now_ms: int) -> Any:
        raise AssertionError("not used")


@dataclass
class FakeReads:
    """Records the questions asked; answers the first bucket BUSY, the others EMPTY."""

    questions: list[HelpdeskQuery] = field(default_factory=list)
    unanswered_calls: list[tuple[Any, ...]] = field(default_factory=list)

    def answer(self, db: Reader, q: HelpdeskQuery) -> HelpdeskAnswer:
        self.questions.append(q)
        figures = (BUSY,) + (EMPTY,) * (len(q.buckets) - 1)
        return HelpdeskAnswer(buckets=figures, totals=BUSY)

    def unanswered(
        self,
        db: Reader,
        tenant_id: str,
        as_of_ms: int,
        sla_ms: Mapping[str, int],
        at_risk_ms: int,
        limit: int,
        channel: str | None = None,
        org_unit: str | None = None,
        agent: str | None = None,
        priority: str | None = None,
        org_units: Sequence[str] | None = None,
    ) -> list[UnansweredConversation]:
        self.unanswered_calls.append(
            (tenant_id, as_of_ms, dict(sla_ms), at_risk_ms, limit, priority)
        )
        created = as_of_ms - 660_500
        return [
            UnansweredConversation(
                "c1", created, 660_500, "email", "urgent", created + 600_000, True, False
            ),
        ]


def run(
    query: str,
    variables: dict[str, Any],
    reads: FakeReads,
    max_buckets: int = 10_000,
    caller: str = "acme",
) -> dict[str, Any]:
    services = Services(
        clickhouse=NoReader(),
        realtime=NoRealtime(),  # type: ignore[arg-type]
        tenants=Tenants(acme=LISBON),
        max_buckets=max_buckets,
        now_ms=lambda: NOW_MS,
        helpdesk=HelpdeskReads(answer=reads.answer, unanswered=reads.unanswered),
    )
    context = ApiContext(services=services, auth=Claims(caller, 2**40))
    result = asyncio.run(build_schema().execute(query, variables, context_value=context))
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [
            {"message": e.message, "extensions": e.extensions or {}} for e in result.errors
        ]
    return body


def metrics(
    reads: FakeReads, variables: dict[str, Any], max_buckets: int = 10_000
) -> dict[str, Any]:
    return run(METRICS, {"granularity": "HOUR", **variables}, reads, max_buckets)


def test_fall_back_day_has_every_local_hour_in_the_tenants_zone() -> None:
    """Lisbon's fall-back day (2026-10-25) in hours: 25 buckets, two local 01:00 with distinct
    offsets, empty ones as zeros and nulls, and the question carries the tenant's zone and SLA."""
    reads = FakeReads()
    body = metrics(reads, {"from": "2026-10-24T23:00:00Z", "to": "2026-10-26T00:00:00Z"})
    assert "errors" not in body, body
    answer = body["data"]["helpdeskMetrics"]
    assert answer["tenantId"] == "acme"
    assert answer["timeZone"] == "Europe/Lisbon"
    assert answer["granularity"] == "HOUR"
    assert answer["asOf"] == "2026-10-26T07:33:20+00:00"
    buckets = answer["buckets"]
    assert len(buckets) == 25
    assert [b["localStart"] for b in buckets[:3]] == [
        "2026-10-25T00:00:00+01:00",
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T01:00:00+00:00",
    ]
    assert buckets[1]["start"] == "2026-10-25T00:00:00+00:00"
    assert buckets[2]["start"] == "2026-10-25T01:00:00+00:00"
    assert buckets[-1]["end"] == "2026-10-26T00:00:00+00:00"
    assert buckets[0]["conversationsCreated"] == 3
    assert buckets[0]["slaBreachRate"] == 50.0
    assert buckets[5]["conversationsCreated"] == 0
    assert buckets[5]["frtP90Seconds"] is None
    assert answer["totals"]["csatPercent"] == 100.0
    (question,) = reads.questions
    assert question.time_zone == "Europe/Lisbon"
    assert question.granularity == "hour"
    assert question.as_of_ms == NOW_MS
    assert dict(question.sla_ms)["urgent"] == 600_000
    assert (question.channel, question.org_unit, question.agent) == ("email", "support", None)
    assert question.from_ms == 1_792_882_800_000
    assert question.to_ms == 1_792_972_800_000


def test_time_zone_as_of_and_filters_override_the_defaults() -> None:
    """timeZone buckets in another zone (+05:30 days start at 18:30 UTC), asOf is the
    question's instant, and priority and agent filters reach the question."""
    reads = FakeReads()
    body = metrics(
        reads,
        {
            "from": "2026-03-01T18:30:00Z",
            "to": "2026-03-03T18:30:00Z",
            "granularity": "DAY",
            "timeZone": "Asia/Kolkata",
            "asOf": "2026-03-05T00:00:00+01:00",
            "priority": "HIGH",
            "agent": "a7",
        },
    )
    assert "errors" not in body, body
    answer = body["data"]["helpdeskMetrics"]
    assert answer["timeZone"] == "Asia/Kolkata"
    assert answer["asOf"] == "2026-03-04T23:00:00+00:00"
    assert [b["localStart"] for b in answer["buckets"]] == [
        "2026-03-02T00:00:00+05:30",
        "2026-03-03T00:00:00+05:30",
    ]
    (question,) = reads.questions
    assert (question.priority, question.agent) == ("high", "a7")
    assert question.as_of_ms == 1_772_665_200_000


def test_a_tenant_never_configured_is_bucketed_in_utc_with_default_targets() -> None:
    """Without settings on the topic a tenant gets UTC and METRICS.md's SLA targets."""
    reads = FakeReads()
    variables = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z", "granularity": "DAY"}
    body = run(METRICS, variables, reads, caller="globex")
    assert "errors" not in body, body
    assert body["data"]["helpdeskMetrics"]["timeZone"] == "UTC"
    (question,) = reads.questions
    assert dict(question.sla_ms) == {
        "urgent": 900_000,
        "high": 3_600_000,
        "normal": 14_400_000,
        "low": 86_400_000,
    }


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] == {"helpdeskMetrics": None} or body["data"] == {
        "unansweredConversations": None
    }
    (error,) = body["errors"]
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "'from' must be before"),
        ({"from": "2026-03-01T00:00:00", "to": "2026-03-02T00:00:00Z"}, "'from' has no UTC offset"),
        (
            {
                "from": "2026-03-01T00:00:00Z",
                "to": "2026-03-02T00:00:00Z",
                "asOf": "2026-03-01T00:00:00",
            },
            "'asOf' has no UTC offset",
        ),
        (
            {"from": "2026-03-01T10:15:00Z", "to": "2026-03-01T10:45:00Z"},
            "No HOUR bucket of Europe/Lisbon starts in",
        ),
    ],
)
def test_meaningless_windows_are_refused_with_a_suggestion(
    variables: dict[str, Any], message: str
) -> None:
    """An inverted window, an offset-less instant or a window holding no bucket start is an
    INVALID_ARGUMENT error with a suggestion, and nothing is read."""
    reads = FakeReads()
    error = refusal(metrics(reads, variables))
    assert message in error["message"]
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert error["extensions"]["suggestion"]
    assert reads.questions == []


def test_a_grid_over_the_bucket_limit_names_the_limit_and_a_coarser_granularity() -> None:
    """25 hour buckets against a limit of 24 are refused, naming the limit and suggesting DAY."""
    reads = FakeReads()
    body = metrics(reads, {"from": "2026-10-24T23:00:00Z", "to": "2026-10-26T00:00:00Z"}, 24)
    error = refusal(body)
    assert "more than 24 HOUR buckets" in error["message"]
    assert "PULSE_API_MAX_BUCKETS" in error["message"]
    assert error["extensions"]["limit"] == 24
    assert "granularity DAY (or coarser)" in error["extensions"]["suggestion"]
    assert reads.questions == []
    assert "errors" not in metrics(
        reads, {"from": "2026-10-24T23:00:00Z", "to": "2026-10-26T00:00:00Z"}, 25
    )


def test_an_unknown_time_zone_is_refused_with_the_closest_name() -> None:
    """timeZone must be an IANA name; a near miss suggests the real one."""
    reads = FakeReads()
    body = metrics(
        reads,
        {
            "from": "2026-03-01T00:00:00Z",
            "to": "2026-03-02T00:00:00Z",
            "timeZone": "Europe/Lisbo",
        },
    )
    error = refusal(body)
    assert "'Europe/Lisbo' is not an IANA time zone" in error["message"]
    assert "Did you mean 'Europe/Lisbon'?" in error["extensions"]["suggestion"]
    assert reads.questions == []


def test_an_unknown_priority_is_a_graphql_error() -> None:
    """priority is an enum: a value outside LOW NORMAL HIGH URGENT never reaches a resolver."""
    reads = FakeReads()
    body = metrics(
        reads,
        {"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z", "priority": "CRITICAL"},
    )
    assert body["data"] is None
    assert "CRITICAL" in body["errors"][0]["message"]
    assert reads.questions == []


def test_another_tenant_is_refused() -> None:
    """A token of acme asking for globex's helpdesk gets FORBIDDEN and no data, for both fields."""
    reads = FakeReads()
    body = metrics(
        reads,
        {"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z", "tenantId": "globex"},
    )
    assert refusal(body)["extensions"]["code"] == "FORBIDDEN"
    body = run(UNANSWERED, {"atRiskMinutes": 5, "limit": 10, "tenantId": "globex"}, reads)
    assert refusal(body)["extensions"]["code"] == "FORBIDDEN"
    assert reads.questions == [] and reads.unanswered_calls == []


def test_unanswered_conversations_use_the_tenants_targets_and_as_of() -> None:
    """The live list is read at asOf (default now) with the tenant's SLA targets and the margin
    in milliseconds, and each conversation is served with its instants and age in seconds."""
    reads = FakeReads()
    body = run(UNANSWERED, {"atRiskMinutes": 5, "limit": 10}, reads)
    assert "errors" not in body, body
    assert body["data"]["unansweredConversations"] == [
        {
            "conversationId": "c1",
            "createdAt": "2026-10-26T07:22:19.500000+00:00",
            "ageSeconds": 660.5,
            "channel": "email",
            "priority": "URGENT",
            "deadline": "2026-10-26T07:32:19.500000+00:00",
            "breached": True,
            "atRisk": False,
        }
    ]
    ((tenant, as_of_ms, sla, at_risk_ms, limit, priority),) = reads.unanswered_calls
    assert (tenant, as_of_ms, at_risk_ms, limit, priority) == (
        "acme",
        NOW_MS,
        300_000,
        10,
        "urgent",
    )
    assert sla["urgent"] == 600_000


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"atRiskMinutes": -1, "limit": 10}, "atRiskMinutes"),
        ({"atRiskMinutes": 5, "limit": 0}, "limit"),
    ],
)
def test_unanswered_bounds_are_checked(variables: dict[str, Any], argument: str) -> None:
    """A negative margin or a limit outside 1..1000 is an INVALID_ARGUMENT naming the argument."""
    reads = FakeReads()
    error = refusal(run(UNANSWERED, variables, reads))
    assert error["extensions"]["argument"] == argument
    assert reads.unanswered_calls == []
