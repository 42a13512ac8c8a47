"""The expected workflowMetrics, sequenceMetrics and automationMetrics answers, recomputed in
plain Python from the published events (first copy of each ``(tenant, event_id)`` kept), with
zoneinfo buckets and no production code."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.families.flows_events import local_start, pct, question_grid

Event = dict[str, Any]

WORKFLOW_COUNTS = {
    "runs": "workflow.run_started",
    "completed": "workflow.run_completed",
    "failed": "workflow.run_failed",
    "goalReached": "workflow.goal_reached",
}
SEQUENCE_COUNTS = {
    "enrollments": "sequence.enrolled",
    "stepsExecuted": "sequence.step_executed",
    "replied": "sequence.replied",
    "completed": "sequence.completed",
}
AUTOMATION_COUNTS = {"executed": "automation.executed", "failed": "automation.failed"}


def at_ms(event: Event) -> int:
    return int(datetime.fromisoformat(str(event["occurred_at"])).timestamp() * 1000)


def accepted(events: Iterable[Event]) -> list[Event]:
    """The first copy of each (tenant, event_id), with its instant as ``ms``."""
    seen: dict[tuple[str, str], Event] = {}
    for e in events:
        seen.setdefault((e["tenant_id"], e["event_id"]), {**e, "ms": at_ms(e)})
    return list(seen.values())


def workflow_figures(c: Counter[str]) -> dict[str, Any]:
    n = {name: c[kind] for name, kind in WORKFLOW_COUNTS.items()}
    n["completionRate"] = pct(n["completed"], n["runs"])
    n["conversionRate"] = pct(n["goalReached"], n["completed"])
    return n


def sequence_figures(c: Counter[str]) -> dict[str, Any]:
    n = {name: c[kind] for name, kind in SEQUENCE_COUNTS.items()}
    n["replyRate"] = pct(n["replied"], n["enrollments"])
    return n


def automation_figures(c: Counter[str]) -> dict[str, Any]:
    n = {name: c[kind] for name, kind in AUTOMATION_COUNTS.items()}
    n["failureRate"] = pct(n["failed"], n["executed"] + n["failed"])
    return n


@dataclass(frozen=True)
class Ask:
    """One question: the tenant, the zone the answer buckets in, the window, as_of (ms)."""

    tenant: str
    zone: str
    granularity: str
    start: str
    end: str
    as_of_ms: int
    filters: Mapping[str, str]


def _series(
    events: list[Event], ask: Ask, types: Iterable[str], figures: Callable[[Counter[str]], Any]
) -> tuple[list[Event], dict[str, Any]]:
    """The question's events in range, and its buckets and totals."""
    grid = question_grid(ask.start, ask.end, ask.granularity, ask.zone)
    index = {b.start_ms: i for i, b in enumerate(grid)}
    kinds = set(types)
    mine = [
        e
        for e in events
        if e["tenant_id"] == ask.tenant
        and e["event_type"] in kinds
        and all(e.get(k, "") == v for k, v in ask.filters.items())
    ]
    in_range = [e for e in mine if grid[0].start_ms <= e["ms"] < grid[-1].end_ms]
    per: list[Counter[str]] = [Counter() for _ in grid]
    for e in in_range:
        per[index[local_start(e["ms"], ask.granularity, ask.zone)]][e["event_type"]] += 1
    total = Counter(e["event_type"] for e in in_range)
    return mine, {
        "starts": [b.start_ms for b in grid],
        "buckets": [figures(c) for c in per],
        "totals": figures(total),
    }


def _open(mine: list[Event], ask: Ask, group: str, member: str, opening: str) -> Counter[str]:
    opened, closed = set(), set()
    for e in mine:
        if e["ms"] <= ask.as_of_ms:
            (opened if e["event_type"] == opening else closed).add((e[group], e[member]))
    return Counter(g for g, _ in opened - closed)


def _top(entries: dict[str, dict[str, Any]], by: str, limit: int) -> list[str]:
    ranked = [(v[by], k) for k, v in entries.items() if v[by] is not None]
    return [k for _, k in sorted(ranked, key=lambda r: (-r[0], r[1]))[:limit]]


def _per(
    in_range: list[Event], key: str, figures: Callable[[Counter[str]], dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    counts: dict[str, Counter[str]] = {}
    for e in in_range:
        counts.setdefault(e.get(key, ""), Counter())[e["event_type"]] += 1
    return {k: figures(c) for k, c in counts.items()}


def _in_range(mine: list[Event], starts: list[int], grid_end: int) -> list[Event]:
    return [e for e in mine if starts[0] <= e["ms"] < grid_end]


def workflows(events: list[Event], ask: Ask, by: str, limit: int) -> dict[str, Any]:
    closing = ("workflow.run_completed", "workflow.run_failed")
    mine, out = _series(events, ask, WORKFLOW_COUNTS.values(), workflow_figures)
    end = question_grid(ask.start, ask.end, ask.granularity, ask.zone)[-1].end_ms
    going_of = [e for e in mine if e["event_type"] in ("workflow.run_started", *closing)]
    going = _open(going_of, ask, "workflow_id", "run_id", "workflow.run_started")
    per = _per(_in_range(mine, out["starts"], end), "workflow_id", workflow_figures)
    names: dict[str, tuple[int, str, str]] = {}
    for e in mine:
        if e.get("name"):
            latest = (e["ms"], e["event_id"], e["name"])
            names[e["workflow_id"]] = max(names.get(e["workflow_id"], latest), latest)
    out["runsInProgress"] = sum(going.values())
    out["top"] = [
        {
            "workflowId": k,
            "name": names[k][2] if k in names else None,
            "runsInProgress": going[k],
            **per[k],
        }
        for k in _top(per, by, limit)
    ]
    return out


def sequences(events: list[Event], ask: Ask, by: str, limit: int) -> dict[str, Any]:
    mine, out = _series(events, ask, SEQUENCE_COUNTS.values(), sequence_figures)
    end = question_grid(ask.start, ask.end, ask.granularity, ask.zone)[-1].end_ms
    in_range = _in_range(mine, out["starts"], end)
    active_of = [e for e in mine if e["event_type"] != "sequence.step_executed"]
    active = _open(active_of, ask, "sequence_id", "enrollment_id", "sequence.enrolled")
    per = _per(in_range, "sequence_id", sequence_figures)
    for k, v in per.items():
        v["activeEnrollments"] = active[k]
    funnel: dict[int, Counter[str]] = {}
    for e in in_range:
        if e.get("step_number") is not None:
            funnel.setdefault(e["step_number"], Counter())[e["event_type"]] += 1
    out["activeEnrollments"] = sum(active.values())
    out["funnel"] = [
        {
            "stepNumber": step,
            "executed": c["sequence.step_executed"],
            "replied": c["sequence.replied"],
        }
        for step, c in sorted(funnel.items())
    ]
    out["top"] = [{"sequenceId": k, **per[k]} for k in _top(per, by, limit)]
    return out


def automation(events: list[Event], ask: Ask, by: str, limit: int) -> dict[str, Any]:
    mine, out = _series(events, ask, AUTOMATION_COUNTS.values(), automation_figures)
    end = question_grid(ask.start, ask.end, ask.granularity, ask.zone)[-1].end_ms
    in_range = _in_range(mine, out["starts"], end)
    per = _per(in_range, "flow_id", automation_figures)
    out["top"] = [{"flowId": k, **per[k]} for k in _top(per, by, limit)]
    channels = _per(in_range, "channel", automation_figures)
    out["channels"] = [
        {"channel": c or None, **channels[c]} for c in sorted(channels, key=lambda c: (c == "", c))
    ]
    return out
