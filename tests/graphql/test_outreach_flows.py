"""``workflowMetrics``, ``sequenceMetrics`` and ``automationMetrics`` over a real chdb: grid,
zones, lists, states at asOf, tenant scoping and argument checks."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.families.flows_events import Row, ev, insert
from tests.graphql.conftest import Tenants, graphql, token

pytestmark = pytest.mark.clickhouse

COMMON = "tenantId timeZone granularity asOf"
WORKFLOW = "runs completed failed goalReached completionRate conversionRate"
SEQUENCE = "enrollments stepsExecuted replied completed replyRate"
AUTOMATION = "executed failed failureRate"
ARGS = "from: $from, to: $to, granularity: $g, asOf: $asOf, timeZone: $tz, tenantId: $tenant"
VARS = "$from: DateTime!, $to: DateTime!, $g: Granularity!, $asOf: DateTime, $tz: String,"
VARS += " $tenant: String, $limit: Int! = 10"
WORKFLOWS = f"""
query({VARS}, $workflow: String, $by: WorkflowRanking! = RUNS) {{
  workflowMetrics({ARGS}, workflow: $workflow, topBy: $by, limit: $limit) {{
    {COMMON} runsInProgress
    buckets {{ start end localStart {WORKFLOW} }}
    totals {{ {WORKFLOW} }}
    topWorkflows {{ workflowId name runsInProgress {WORKFLOW} }}
  }}
}}
"""
SEQUENCES = f"""
query({VARS}, $sequence: String, $by: SequenceRanking! = ENROLLMENTS) {{
  sequenceMetrics({ARGS}, sequence: $sequence, topBy: $by, limit: $limit) {{
    {COMMON} activeEnrollments
    buckets {{ start localStart {SEQUENCE} }}
    totals {{ {SEQUENCE} }}
    stepFunnel {{ stepNumber executed replied }}
    topSequences {{ sequenceId activeEnrollments {SEQUENCE} }}
  }}
}}
"""
AUTOMATIONS = f"""
query({VARS}, $flow: String, $channel: String, $by: AutomationRanking! = EXECUTED) {{
  automationMetrics({ARGS}, flow: $flow, channel: $channel, topBy: $by, limit: $limit) {{
    {COMMON}
    buckets {{ start localStart {AUTOMATION} }}
    totals {{ {AUTOMATION} }}
    topFlows {{ flowId {AUTOMATION} }}
    channels {{ channel {AUTOMATION} }}
  }}
}}
"""
FALL_BACK = {"from": "2026-10-25T00:00:00+01:00", "to": "2026-10-26T00:00:00Z", "g": "HOUR"}
AS_OF = "2026-10-25T12:00:00Z"


def wf(kind: str, workflow: str, run: str, at: str, tenant: str = "acme", **f: Any) -> Row:
    return ev(f"workflow.{kind}", at, tenant, workflow_id=workflow, run_id=run, **f)


def sq(kind: str, sequence: str, enrollment: str, at: str, tenant: str = "acme", **f: Any) -> Row:
    return ev(f"sequence.{kind}", at, tenant, sequence_id=sequence, enrollment_id=enrollment, **f)


def au(kind: str, flow: str, at: str, channel: str = "", tenant: str = "acme") -> Row:
    return ev(f"automation.{kind}", at, tenant, flow_id=flow, channel=channel)


ROWS = [
    wf("run_started", "wf-a", "r1", "2026-10-25T00:30:00Z", name="Onboarding"),
    wf("run_completed", "wf-a", "r1", "2026-10-25T00:50:00Z"),
    wf("goal_reached", "wf-a", "r1", "2026-10-25T00:55:00Z"),
    wf("run_started", "wf-a", "r2", "2026-10-25T01:30:00Z"),
    wf("run_started", "wf-b", "r1", "2026-10-25T05:00:00Z"),
    wf("run_failed", "wf-b", "r1", "2026-10-25T06:00:00Z"),
    sq("enrolled", "s1", "e1", "2026-10-25T00:30:00Z"),
    sq("step_executed", "s1", "e1", "2026-10-25T00:31:00Z", step_number=1),
    sq("replied", "s1", "e1", "2026-10-25T01:30:00Z", step_number=1),
    sq("enrolled", "s1", "e2", "2026-10-25T02:00:00Z"),
    sq("step_executed", "s1", "e2", "2026-10-25T02:01:00Z"),
    sq("completed", "s1", "e2", "2026-10-26T09:00:00Z"),
    au("executed", "flow-1", "2026-10-25T00:10:00Z", "email"),
    au("failed", "flow-1", "2026-10-25T01:20:00Z"),
    au("failed", "flow-2", "2026-10-25T03:00:00Z", "sms"),
    wf("run_started", "wf-a", "r1", "2026-10-25T00:40:00Z", "globex"),
    sq("enrolled", "s1", "e1", "2026-10-25T00:20:00Z", "globex"),
    au("executed", "flow-1", "2026-10-25T00:20:00Z", "email", "globex"),
]


@pytest.fixture
def lisbon(clickhouse: ClickHouse, tenants: Tenants) -> None:
    """ROWS stored; acme buckets in Europe/Lisbon."""
    insert(clickhouse, ROWS)
    tenants.zones["acme"] = "Europe/Lisbon"


def ask(
    client: TestClient, settings: Settings, query: str, field: str, **variables: Any
) -> dict[str, Any]:
    bearer = token(settings, variables.pop("bearer", "acme"))
    body = graphql(client, query, {**FALL_BACK, "asOf": AS_OF, **variables}, bearer=bearer)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


@pytest.mark.usefixtures("lisbon")
def test_workflow_metrics_in_the_tenant_zone_across_the_fall_back(
    client: TestClient, settings: Settings
) -> None:
    """25 hour buckets with their offsets; the two 01:00 hours hold r1 and r2; runs in progress
    at asOf; the top list with names and null rates."""
    result = ask(client, settings, WORKFLOWS, "workflowMetrics")
    assert (result["tenantId"], result["timeZone"], result["granularity"]) == (
        "acme",
        "Europe/Lisbon",
        "HOUR",
    )
    assert result["asOf"] == "2026-10-25T12:00:00+00:00"
    buckets = result["buckets"]
    assert len(buckets) == 25
    assert [b["localStart"] for b in buckets[1:3]] == [
        "2026-10-25T01:00:00+01:00",
        "2026-10-25T01:00:00+00:00",
    ]
    assert [(b["runs"], b["completionRate"], b["conversionRate"]) for b in buckets[1:3]] == [
        (1, 100.0, 100.0),
        (1, 0.0, None),
    ]
    assert result["totals"] == {
        "runs": 3,
        "completed": 1,
        "failed": 1,
        "goalReached": 1,
        "completionRate": 33.33,
        "conversionRate": 100.0,
    }
    assert result["runsInProgress"] == 1
    assert [
        (w["workflowId"], w["name"], w["runs"], w["runsInProgress"]) for w in result["topWorkflows"]
    ] == [("wf-a", "Onboarding", 2, 1), ("wf-b", None, 1, 0)]
    by_rate = ask(client, settings, WORKFLOWS, "workflowMetrics", by="CONVERSION_RATE")
    assert [w["workflowId"] for w in by_rate["topWorkflows"]] == ["wf-a"]


@pytest.mark.usefixtures("lisbon")
def test_sequence_metrics_funnel_actives_and_filter(client: TestClient, settings: Settings) -> None:
    """Totals, the numbered funnel, the active enrollment at asOf, and a sequence filter."""
    result = ask(client, settings, SEQUENCES, "sequenceMetrics")
    assert result["totals"] == {
        "enrollments": 2,
        "stepsExecuted": 2,
        "replied": 1,
        "completed": 0,
        "replyRate": 50.0,
    }
    assert result["stepFunnel"] == [{"stepNumber": 1, "executed": 1, "replied": 1}]
    assert result["activeEnrollments"] == 1
    assert result["topSequences"][0]["sequenceId"] == "s1"
    assert result["topSequences"][0]["activeEnrollments"] == 1
    other = ask(client, settings, SEQUENCES, "sequenceMetrics", sequence="s9")
    assert other["activeEnrollments"] == 0 and other["totals"]["replyRate"] is None


@pytest.mark.usefixtures("lisbon")
def test_automation_metrics_with_and_without_channel(
    client: TestClient, settings: Settings
) -> None:
    """The channel list shows null for events without one; a channel filter matches only it."""
    result = ask(client, settings, AUTOMATIONS, "automationMetrics", g="DAY")
    assert result["totals"] == {"executed": 1, "failed": 2, "failureRate": 66.67}
    assert [(c["channel"], c["failed"]) for c in result["channels"]] == [
        ("email", 0),
        ("sms", 1),
        (None, 1),
    ]
    by_rate = ask(client, settings, AUTOMATIONS, "automationMetrics", by="FAILURE_RATE", limit=1)
    assert by_rate["topFlows"] == [
        {"flowId": "flow-2", "executed": 0, "failed": 1, "failureRate": 100.0}
    ]
    email = ask(client, settings, AUTOMATIONS, "automationMetrics", channel="email")
    assert email["totals"] == {"executed": 1, "failed": 0, "failureRate": 0.0}


@pytest.mark.usefixtures("lisbon")
def test_time_zone_argument_buckets_in_kolkata(client: TestClient, settings: Settings) -> None:
    """timeZone Asia/Kolkata: hours start at :30 UTC, local starts carry +05:30."""
    variables = {"from": "2026-10-25T06:00:00+05:30", "to": "2026-10-25T09:00:00+05:30"}
    result = ask(client, settings, WORKFLOWS, "workflowMetrics", tz="Asia/Kolkata", **variables)
    assert [b["start"] for b in result["buckets"]] == [
        "2026-10-25T00:30:00+00:00",
        "2026-10-25T01:30:00+00:00",
        "2026-10-25T02:30:00+00:00",
    ]
    assert result["buckets"][0]["localStart"] == "2026-10-25T06:00:00+05:30"
    assert [b["runs"] for b in result["buckets"]] == [1, 1, 0]


@pytest.mark.usefixtures("lisbon")
@pytest.mark.parametrize(
    ("query", "field"),
    [
        (WORKFLOWS, "workflowMetrics"),
        (SEQUENCES, "sequenceMetrics"),
        (AUTOMATIONS, "automationMetrics"),
    ],
)
def test_each_tenant_sees_only_its_own_and_others_are_forbidden(
    client: TestClient, settings: Settings, query: str, field: str
) -> None:
    """globex's token reads globex's one event of each kind; acme's token naming globex is
    FORBIDDEN; no token is UNAUTHENTICATED."""
    own = ask(client, settings, query, field, bearer="globex", g="DAY")
    assert own["tenantId"] == "globex"
    assert next(iter(own["totals"].values())) == 1
    body = graphql(client, query, {**FALL_BACK, "tenant": "globex"}, bearer=token(settings))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] == {field: None}
    body = graphql(client, query, FALL_BACK)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.usefixtures("lisbon")
def test_a_limit_out_of_range_and_too_many_buckets_are_refused(
    client: TestClient, settings: Settings
) -> None:
    """limit 0 is INVALID_ARGUMENT naming the argument; a range over the bucket limit is refused
    with the shared message."""
    body = graphql(client, WORKFLOWS, {**FALL_BACK, "limit": 0}, bearer=token(settings))
    assert body["errors"][0]["extensions"]["argument"] == "limit"
    wide = {"from": "2000-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "g": "HOUR"}
    body = graphql(client, SEQUENCES, wide, bearer=token(settings))
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "PULSE_API_MAX_BUCKETS" in error["message"]
