"""Workflows, sequences and automation through the real `pulse worker` and `pulse serve`, against
the oracle."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pulse.settings import Settings
from tests.e2e import oracle_outreach_flows as oracle
from tests.e2e.harness import Pipeline, free_port, pulse
from tests.e2e.oracle_outreach_flows import Ask, accepted
from tests.e2e.outreach_flows_scenario import AS_OF, TENANTS, FlowsDataset

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

WINDOWS = {
    "HOUR": ("2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z"),
    "DAY": ("2026-10-15T00:00:00Z", "2026-11-10T00:00:00Z"),
    "WEEK": ("2026-10-01T00:00:00Z", "2026-11-20T00:00:00Z"),
    "MONTH": ("2026-09-01T00:00:00Z", "2026-12-01T00:00:00Z"),
}
WORKFLOW = "runs completed failed goalReached completionRate conversionRate"
SEQUENCE = "enrollments stepsExecuted replied completed replyRate"
AUTOMATION = "executed failed failureRate"
HEAD = "$from: DateTime!, $to: DateTime!, $g: Granularity!, $asOf: DateTime, $tz: String"
ARGS = "from: $from, to: $to, granularity: $g, asOf: $asOf, timeZone: $tz, limit: 3"
QUERIES = {
    "workflowMetrics": f"""
query({HEAD}, $workflow: String, $by: WorkflowRanking!) {{
  workflowMetrics({ARGS}, workflow: $workflow, topBy: $by) {{
    timeZone runsInProgress buckets {{ start {WORKFLOW} }} totals {{ {WORKFLOW} }}
    topWorkflows {{ workflowId name runsInProgress {WORKFLOW} }}
  }}
}}""",
    "sequenceMetrics": f"""
query({HEAD}, $sequence: String, $by: SequenceRanking!) {{
  sequenceMetrics({ARGS}, sequence: $sequence, topBy: $by) {{
    timeZone activeEnrollments buckets {{ start {SEQUENCE} }} totals {{ {SEQUENCE} }}
    stepFunnel {{ stepNumber executed replied }}
    topSequences {{ sequenceId activeEnrollments {SEQUENCE} }}
  }}
}}""",
    "automationMetrics": f"""
query({HEAD}, $flow: String, $channel: String, $by: AutomationRanking!) {{
  automationMetrics({ARGS}, flow: $flow, channel: $channel, topBy: $by) {{
    timeZone buckets {{ start {AUTOMATION} }} totals {{ {AUTOMATION} }}
    topFlows {{ flowId {AUTOMATION} }} channels {{ channel {AUTOMATION} }}
  }}
}}""",
}
Oracle = Callable[[list[dict[str, Any]], Ask, str, int], dict[str, Any]]
# (field, oracle, the list's key, filter variable → column, rankings as (enum, oracle key)).
FAMILIES: tuple[tuple[str, Oracle, str, dict[str, str], tuple[tuple[str, str], ...]], ...] = (
    (
        "workflowMetrics",
        oracle.workflows,
        "topWorkflows",
        {"workflow": "workflow_id"},
        (("RUNS", "runs"), ("CONVERSION_RATE", "conversionRate")),
    ),
    (
        "sequenceMetrics",
        oracle.sequences,
        "topSequences",
        {"sequence": "sequence_id"},
        (("ENROLLMENTS", "enrollments"), ("REPLY_RATE", "replyRate")),
    ),
    (
        "automationMetrics",
        oracle.automation,
        "topFlows",
        {"flow": "flow_id", "channel": "channel"},
        (("EXECUTED", "executed"), ("FAILURE_RATE", "failureRate")),
    ),
)
FILTER_VALUES = {"workflow": "wf-1", "sequence": "sq-1", "flow": "fl-2", "channel": "sms"}


def e2e_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        api=replace(settings.api, port=free_port(), jwt_secret="e2e-secret-" + "x" * 32),
        stream=replace(settings.stream, web_port=free_port()),
    )


def ms_of(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def check(
    pipeline: Pipeline,
    events: list[dict[str, Any]],
    field: str,
    compute: Oracle,
    list_key: str,
    ask: Ask,
    variables: dict[str, Any],
    ranking: tuple[str, str],
) -> None:
    """One question's answer equals the oracle's, bucket by bucket, totals, states and lists."""
    body = pipeline.graphql(ask.tenant, QUERIES[field], {**variables, "by": ranking[0]})
    assert "errors" not in body, body
    got = body["data"][field]
    want = compute(events, ask, ranking[1], 3)
    where = f"{field} {ask} by {ranking[0]}"
    assert got["timeZone"] == ask.zone, where
    assert [ms_of(b["start"]) for b in got["buckets"]] == want["starts"], where
    assert [{k: b[k] for k in want["totals"]} for b in got["buckets"]] == want["buckets"], where
    assert got["totals"] == want["totals"], where
    assert got[list_key] == want["top"], where
    for state in ("runsInProgress", "activeEnrollments"):
        if state in got:
            assert got[state] == want[state], where
    if "stepFunnel" in got:
        assert got["stepFunnel"] == want["funnel"], where
    if "channels" in got:
        assert got["channels"] == want["channels"], where


def check_tenant(pipeline: Pipeline, events: list[dict[str, Any]], tenant: str, zone: str) -> int:
    """Every family at every granularity, with and without its filters, in the tenant's zone and
    in the other one; returns how many questions were compared."""
    asked = 0
    other_zone = "Asia/Kolkata" if zone == "Europe/Lisbon" else "Europe/Lisbon"
    for field, compute, list_key, filters, rankings in FAMILIES:
        for granularity, (start, end) in WINDOWS.items():
            cases: list[tuple[dict[str, str], str | None]] = [({}, None)]
            cases += [({name: FILTER_VALUES[name]}, None) for name in filters]
            if granularity in ("HOUR", "DAY"):
                cases.append(({}, other_zone))
            for chosen, tz in cases:
                for ranking in rankings:
                    columns = {filters[name]: value for name, value in chosen.items()}
                    ask = Ask(
                        tenant,
                        tz or zone,
                        granularity.lower(),
                        start,
                        end,
                        int(AS_OF.timestamp() * 1000),
                        columns,
                    )
                    variables = {
                        "from": start,
                        "to": end,
                        "g": granularity,
                        "asOf": AS_OF.isoformat(),
                        "tz": tz,
                        **chosen,
                    }
                    check(pipeline, events, field, compute, list_key, ask, variables, ranking)
                    asked += 1
    return asked


def test_outreach_flows_equal_the_oracle_through_the_real_pipeline(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """workflowMetrics, sequenceMetrics and automationMetrics of two tenants sharing ids equal a
    plain recomputation over the published events (duplicates included), in every granularity,
    with filters, another zone, and states at asOf."""
    pipeline = Pipeline(e2e_settings(settings), tmp_path)
    data = FlowsDataset()
    pulse(pipeline.settings, "topics", "apply")
    for tenant, zone in TENANTS:
        pulse(pipeline.settings, "tenants", "set", tenant, "--timezone", zone)
    path = tmp_path / "flows.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in data.events))
    result = pulse(pipeline.settings, "produce", str(path), check=False)
    assert result.returncode == 0, result.stderr
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        pipeline.wait_api()
        pipeline.wait_caught_up()
        events = accepted(data.events)
        assert len(events) < len(data.events)  # copies were published
        for tenant, zone in TENANTS:
            assert check_tenant(pipeline, events, tenant, zone) > 0
    finally:
        pipeline.stop()
