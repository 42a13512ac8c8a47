"""workflowBreakdown, sequenceBreakdown and automationBreakdown on a seeded random set of events
of two tenants sharing ids: rows, `other` and total against counts made here, counts adding up
to the total, totals equal to the metrics fields' totals, sort, limit, filters and scoping."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from tests.families.flows_events import Row, ev, insert, ms, pct, unique
from tests.graphql.conftest import MemoryStore, Tenants, graphql, kafka_up, token
from tests.graphql.roles_paths import role_token

pytestmark = [pytest.mark.clickhouse]

ZONE = "America/New_York"
FROM, TO = "2026-03-02T00:00:00-05:00", "2026-03-05T00:00:00-05:00"
Counts = Counter[str]
Key = tuple[str | None, ...]


def local_day(row: Row) -> str:
    return datetime.fromtimestamp(row["occurred_at"] / 1000, ZoneInfo(ZONE)).date().isoformat()


@dataclass(frozen=True)
class Family:
    """One family as the API names it, and how its figures follow from event counts."""

    name: str
    prefix: str
    counted: dict[str, str]
    rates: dict[str, Callable[[Counts], float | None]]
    dimensions: dict[str, Callable[[Row], str | None]]

    @property
    def field(self) -> str:
        return f"{self.name.lower()}Breakdown"

    @property
    def metrics(self) -> str:
        return f"{self.name.lower()}Metrics"

    @property
    def count(self) -> str:
        """Its first count, the one the simpler tests sort by."""
        return next(iter(self.counted))

    @property
    def figures(self) -> str:
        return " ".join([*self.counted, *self.rates])

    def of(self, counts: Counts) -> dict[str, Any]:
        return {
            **{name: counts[name] for name in self.counted},
            **{name: rate(counts) for name, rate in self.rates.items()},
        }


WORKFLOW = Family(
    "Workflow",
    "workflow.",
    {
        "runs": "run_started",
        "completed": "run_completed",
        "failed": "run_failed",
        "goalReached": "goal_reached",
    },
    {
        "completionRate": lambda c: pct(c["completed"], c["runs"]),
        "conversionRate": lambda c: pct(c["goalReached"], c["completed"]),
    },
    {"WORKFLOW": lambda r: r["workflow_id"], "DAY": local_day},
)
SEQUENCE = Family(
    "Sequence",
    "sequence.",
    {
        "enrollments": "enrolled",
        "stepsExecuted": "step_executed",
        "replied": "replied",
        "completed": "completed",
    },
    {"replyRate": lambda c: pct(c["replied"], c["enrollments"])},
    {
        "SEQUENCE": lambda r: r["sequence_id"],
        "STEP": lambda r: None if r["step_number"] is None else str(r["step_number"]),
        "DAY": local_day,
    },
)
AUTOMATION = Family(
    "Automation",
    "automation.",
    {"executed": "executed", "failed": "failed"},
    {"failureRate": lambda c: pct(c["failed"], c["executed"] + c["failed"])},
    {"FLOW": lambda r: r["flow_id"], "CHANNEL": lambda r: r["channel"] or None, "DAY": local_day},
)


def tenant_events(tenant: str, seed: int) -> list[Row]:
    """Each family's events from 6 h before the range to 6 h after it, ids shared by tenants;
    wf-7 only fails (no runs: null rates)."""
    pick = random.Random(seed)
    start, end = ms(FROM) - 6 * 3_600_000, ms(TO) + 6 * 3_600_000
    rows = []
    for _ in range(250):
        at = pick.randrange(start, end)
        kind = pick.choice(("run_started", "run_started", "run_completed", "run_failed"))
        kind = pick.choice((kind, kind, "goal_reached"))
        workflow = pick.choice(("wf-1", "wf-2", "wf-3", "wf-4", "wf-5", "wf-6"))
        rows.append(ev(f"workflow.{kind}", at, tenant, workflow_id=workflow, run_id="r"))
    rows.append(ev("workflow.run_failed", ms(FROM) + 60_000, tenant, workflow_id="wf-7"))
    for _ in range(250):
        at = pick.randrange(start, end)
        kind = pick.choice(("enrolled", "step_executed", "step_executed", "replied", "completed"))
        step = pick.choice((1, 2, 3, None)) if kind in ("step_executed", "replied") else None
        sequence = pick.choice(("s1", "s2", "s3", "s4"))
        rows.append(ev(f"sequence.{kind}", at, tenant, sequence_id=sequence, step_number=step))
    for _ in range(250):
        at = pick.randrange(start, end)
        kind = pick.choice(("executed", "executed", "executed", "failed"))
        flow = pick.choice(("f1", "f2", "f3", "f4", "f5"))
        channel = pick.choice(("", "email", "sms"))
        rows.append(ev(f"automation.{kind}", at, tenant, flow_id=flow, channel=channel))
    return rows


ACME, GLOBEX = tenant_events("acme", 3), tenant_events("globex", 4)
# Stored twice: FINAL reads each (tenant, event_id) once, as the oracle does.
STORED = ACME + GLOBEX + ACME[:40]


def expected(
    family: Family, by: tuple[str, ...], tenant_rows: list[Row], keep: Callable[[Row], bool]
) -> dict[Key, Counts]:
    """Per group of ``by``: the family's counts of the tenant's events in the range."""
    kinds = {family.prefix + kind: name for name, kind in family.counted.items()}
    groups: dict[Key, Counts] = defaultdict(Counter)
    for row in unique(tenant_rows):
        in_range = ms(FROM) <= row["occurred_at"] < ms(TO)
        if row["event_type"] in kinds and in_range and keep(row):
            key = tuple(family.dimensions[d](row) for d in by)
            groups[key][kinds[row["event_type"]]] += 1
    return groups


def ordered(family: Family, groups: dict[Key, Counts], figure: str, descending: bool) -> list[Key]:
    """The groups by the published figure, nulls last, ties by the values ascending ('' null)."""

    def place(key: Key) -> tuple[bool, float, tuple[str, ...]]:
        value = family.of(groups[key])[figure]
        signed = 0.0 if value is None else (-value if descending else value)
        return (value is None, signed, tuple(v or "" for v in key))

    return sorted(groups, key=place)


def combined(family: Family, groups: list[Counts]) -> dict[str, Any]:
    return family.of(sum(groups, Counter()))


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    db = connect(settings.clickhouse)
    tenants = Tenants(zones={"acme": ZONE, "globex": ZONE})
    try:
        Migrator(db, settings.clickhouse.database).up()
        insert(db, STORED)
        with TestClient(create_app(settings, db, MemoryStore(), kafka_up, tenants)) as client:
            yield client
    finally:
        db.close()


def ask(
    client: TestClient, family: Family, bearer: str, filters: str = "", **variables: Any
) -> dict[str, Any]:
    query = f"""query($by: [{family.name}Dimension!]!, $sort: {family.name}Figure!, $limit: Int!,
        $descending: Boolean! = true) {{
      {family.field}(from: "{FROM}", to: "{TO}", by: $by, sortBy: $sort, limit: $limit,
                     descending: $descending{filters}) {{
        tenantId timeZone
        rows {{ keys {{ dimension value }} {family.figures} }}
        other {{ groups {family.figures} }}
        total {{ groups {family.figures} }}
      }}
    }}"""
    body = graphql(client, query, variables, bearer=bearer)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][family.field]
    return result


def metrics_totals(client: TestClient, family: Family, bearer: str, filters: str = "") -> Any:
    """The metrics field's totals over the same range, day by day in the same zone."""
    query = f"""{{ {family.metrics}(from: "{FROM}", to: "{TO}", granularity: DAY{filters}) {{
        totals {{ {family.figures} }} }} }}"""
    body = graphql(client, query, bearer=bearer)
    assert "errors" not in body, body
    return body["data"][family.metrics]["totals"]


CASES = [
    (AUTOMATION, ("FLOW", "CHANNEL"), "FAILED", True, 4),
    (AUTOMATION, ("CHANNEL",), "FAILURE_RATE", False, 2),
    (WORKFLOW, ("WORKFLOW", "DAY"), "COMPLETION_RATE", True, 5),
    (WORKFLOW, ("WORKFLOW",), "CONVERSION_RATE", False, 3),
    (SEQUENCE, ("SEQUENCE", "STEP"), "REPLIED", True, 6),
    (SEQUENCE, ("STEP", "DAY"), "REPLY_RATE", True, 3),
]


def camel(figure: str) -> str:
    """GOAL_REACHED → goalReached."""
    head, *rest = figure.lower().split("_")
    return head + "".join(word.title() for word in rest)


def camel_enum(name: str) -> str:
    """goalReached → GOAL_REACHED."""
    return "".join(f"_{c}" if c.isupper() else c.upper() for c in name)


@pytest.mark.parametrize(("family", "by", "sort", "descending", "limit"), CASES)
def test_rows_other_and_total_against_counts_made_here(
    api: TestClient,
    settings: Settings,
    family: Family,
    by: tuple[str, ...],
    sort: str,
    descending: bool,
    limit: int,
) -> None:
    """The top groups in order, the rest folded with its own rates, counts adding up, and the
    total equal to the metrics field's totals."""
    groups = expected(family, by, ACME, lambda _: True)
    order = ordered(family, groups, camel(sort), descending)
    assert len(order) > limit
    bearer = token(settings)
    found = ask(api, family, bearer, by=list(by), sort=sort, limit=limit, descending=descending)
    assert (found["tenantId"], found["timeZone"]) == ("acme", ZONE)
    assert found["rows"] == [
        {
            "keys": [{"dimension": d, "value": v} for d, v in zip(by, key, strict=True)],
            **family.of(groups[key]),
        }
        for key in order[:limit]
    ]
    rest = [groups[key] for key in order[limit:]]
    assert found["other"] == {"groups": len(rest), **combined(family, rest)}
    assert found["total"] == {"groups": len(order), **combined(family, list(groups.values()))}
    for count in family.counted:
        added = sum(r[count] for r in found["rows"]) + found["other"][count]
        assert added == found["total"][count], count
    totals = dict(found["total"])
    del totals["groups"]
    assert totals == metrics_totals(api, family, bearer)


def test_sequence_events_without_a_step_fall_under_a_null_step(
    api: TestClient, settings: Settings
) -> None:
    """Enrollments and completions carry no step: they are the STEP null row's."""
    groups = expected(SEQUENCE, ("STEP",), ACME, lambda _: True)
    found = ask(api, SEQUENCE, token(settings), by=["STEP"], sort="ENROLLMENTS", limit=10)
    assert found["other"] is None
    first = found["rows"][0]
    assert first["keys"] == [{"dimension": "STEP", "value": None}]
    assert first["enrollments"] == found["total"]["enrollments"] == groups[(None,)]["enrollments"]
    assert [r["enrollments"] for r in found["rows"][1:]] == [0, 0, 0]


@pytest.mark.parametrize(
    ("family", "filters", "keep"),
    [
        (AUTOMATION, ', channel: "email"', lambda r: r["channel"] == "email"),
        (AUTOMATION, ', flow: "f2"', lambda r: r["flow_id"] == "f2"),
        (WORKFLOW, ', workflow: "wf-3"', lambda r: r["workflow_id"] == "wf-3"),
        (SEQUENCE, ', sequence: "s1"', lambda r: r["sequence_id"] == "s1"),
    ],
)
def test_filters_keep_only_their_events(
    api: TestClient, settings: Settings, family: Family, filters: str, keep: Callable[[Row], bool]
) -> None:
    """A filter narrows the rows and the total as it narrows the metrics field."""
    groups = expected(family, ("DAY",), ACME, keep)
    bearer = token(settings)
    found = ask(api, family, bearer, filters, by=["DAY"], sort=camel_enum(family.count), limit=10)
    assert {r["keys"][0]["value"]: r[family.count] for r in found["rows"]} == {
        key[0]: counts[family.count] for key, counts in groups.items()
    }
    totals = dict(found["total"])
    del totals["groups"]
    assert totals == combined(family, list(groups.values()))
    assert totals == metrics_totals(api, family, bearer, filters)


@pytest.mark.parametrize("family", [WORKFLOW, SEQUENCE, AUTOMATION])
def test_another_tenants_events_never_appear(
    api: TestClient, settings: Settings, family: Family
) -> None:
    """globex reads its own events only, under the same ids; acme's token cannot name it."""
    by = next(iter(family.dimensions))
    groups = expected(family, (by,), GLOBEX, lambda _: True)
    globex = token(settings, "globex")
    found = ask(api, family, globex, by=[by], sort=camel_enum(family.count), limit=1000)
    assert found["tenantId"] == "globex"
    assert found["total"]["groups"] == len(groups)
    assert {r["keys"][0]["value"]: r[family.count] for r in found["rows"]} == {
        key[0]: counts[family.count] for key, counts in groups.items()
    }
    query = f'{{ {family.field}(from: "{FROM}", to: "{TO}", by: [DAY], tenantId: "globex")'
    query += " { total { groups } } }"
    body = graphql(api, query, bearer=token(settings))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("family", [WORKFLOW, SEQUENCE, AUTOMATION])
def test_a_confined_token_is_refused(api: TestClient, settings: Settings, family: Family) -> None:
    """These events have no org unit: a token confined to org units is FORBIDDEN."""
    north = role_token(settings, ["analytics.view"], ["north"])
    query = f'{{ {family.field}(from: "{FROM}", to: "{TO}", by: [DAY]) {{ total {{ groups }} }} }}'
    body = graphql(api, query, bearer=north)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("family", [WORKFLOW, SEQUENCE, AUTOMATION])
def test_a_range_without_events_has_no_rows_and_a_zero_total(
    api: TestClient, settings: Settings, family: Family
) -> None:
    """No event in the range: no rows, no `other`, a total of zero counts and null rates."""
    query = f"""{{ {family.field}(from: "2025-01-01T00:00:00Z", to: "2025-01-02T00:00:00Z",
        by: [DAY]) {{ rows {{ {family.figures} }} other {{ groups }}
        total {{ groups {family.figures} }} }} }}"""
    body = graphql(api, query, bearer=token(settings))
    assert "errors" not in body, body
    found = body["data"][family.field]
    assert (found["rows"], found["other"]) == ([], None)
    assert found["total"] == {"groups": 0, **family.of(Counter())}
