"""The helpdesk window reader on a real chdb: seed 000's sla_breach_rate, backlog_growth and
csat_drop figures over windows of any alignment, against figures recomputed here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from pulse.alerts.readings import read
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import RuleFilter
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings
from tests.families.events import created, event, ms, reply, store

pytestmark = pytest.mark.clickhouse

MINUTE = 60_000
TARGETS = {"urgent": 15 * MINUTE, "high": 60 * MINUTE, "normal": 240 * MINUTE, "low": 1440 * MINUTE}


@dataclass(frozen=True)
class Conversation:
    name: str
    created: str
    priority: str = "urgent"
    channel: str = "whatsapp"
    reply: str | None = None
    resolved: str | None = None
    tenant: str = "acme"

    def rows(self) -> list[dict[str, Any]]:
        common = {"tenant": self.tenant, "channel": self.channel}
        rows = [created(self.name, self.created, priority=self.priority, **common)]
        if self.reply is not None:
            rows.append(reply(self.name, self.reply, agent_id="ann", **common))
        if self.resolved is not None:
            rows.append(event("conversation.resolved", self.name, self.resolved, **common))
        return rows


def at(clock: str) -> str:
    return f"2026-03-02T{clock}Z"


# Around the window 10:00-10:15 (urgent target 15 min): a breaches at 10:01; b is met by its
# 10:03 reply; c's 10:12 reply comes after its 10:10 deadline (breached, not met); d is resolved
# before its deadline without a reply (neither); e's deadline is after the window; f (high) is
# met by a reply inside it; g is an email breach; h is another tenant's.
SLA_DATA = [
    Conversation("a", at("09:46")),
    Conversation("b", at("09:50"), reply=at("10:03")),
    Conversation("c", at("09:55"), reply=at("10:12")),
    Conversation("d", at("09:58"), resolved=at("10:02")),
    Conversation("e", at("10:05")),
    Conversation("f", at("09:40"), priority="high", reply=at("10:08")),
    Conversation("g", at("09:50"), channel="email"),
    Conversation("h", at("09:47"), tenant="globex"),
]


def sla_counts(
    data: list[Conversation], targets: dict[str, int], start: int, end: int, **only: str
) -> tuple[int, int]:
    """Met and breached in [start, end), judged at end: METRICS.md's SLA rule, by hand."""
    met = breached = 0
    for c in data:
        if c.tenant != "acme" or any(getattr(c, k) != v for k, v in only.items()):
            continue
        made = ms(c.created)
        deadline = made + targets[c.priority]
        replied = ms(c.reply) if c.reply else None
        resolved = ms(c.resolved) if c.resolved else None
        if replied is not None and start <= replied < end and replied <= deadline:
            met += 1
        late = replied is None or replied > deadline
        resolved_first = resolved is not None and made <= resolved < deadline
        if start <= deadline < end and late and not resolved_first:
            breached += 1
    return met, breached


def percent(numerator: int, denominator: int) -> float:
    return float(
        (Decimal(100 * numerator) / denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    )


def reading(
    db: ClickHouse,
    metric: str,
    start: str,
    end: str,
    tenant: TenantSettings | None = None,
    **only: str,
) -> Reading:
    return read(db, "acme", metric, RuleFilter(**only), ms(start), ms(end), tenant=tenant)


@pytest.fixture
def sla_db(db: ClickHouse) -> ClickHouse:
    store(db, [row for c in SLA_DATA for row in c.rows()])
    return db


@pytest.mark.parametrize(
    ("start", "end", "only"),
    [
        (at("10:00"), at("10:15"), {}),
        (at("10:00"), at("10:15"), {"channel": "whatsapp"}),
        (at("10:00"), at("10:15"), {"priority": "urgent"}),
        (at("10:07"), at("10:12"), {}),
        (at("09:52"), at("10:07"), {}),
    ],
)
def test_sla_breach_rate_over_a_window(
    sla_db: ClickHouse, start: str, end: str, only: dict[str, str]
) -> None:
    """SLA breaches and their rate over any window, judged at its end, match the rule by hand."""
    met, breached = sla_counts(SLA_DATA, TARGETS, ms(start), ms(end), **only)
    assert breached > 0
    rate = reading(sla_db, "sla_breach_rate", start, end, **only)
    assert rate == Reading(percent(breached, met + breached), met + breached)
    count = reading(sla_db, "sla_breached", start, end, **only)
    assert count == Reading(float(breached), met + breached)
    assert reading(sla_db, "sla_met", start, end, **only).value == met


def test_sla_uses_the_tenants_own_targets(sla_db: ClickHouse) -> None:
    """A tenant's urgent target of 5 minutes moves deadlines into and out of the window."""
    targets = {**TARGETS, "urgent": 5 * MINUTE}
    tenant = TenantSettings(sla_ms={"urgent": 5 * MINUTE})
    met, breached = sla_counts(SLA_DATA, targets, ms(at("10:00")), ms(at("10:15")))
    assert (met, breached) != sla_counts(SLA_DATA, TARGETS, ms(at("10:00")), ms(at("10:15")))
    got = reading(sla_db, "sla_breach_rate", at("10:00"), at("10:15"), tenant=tenant)
    assert got == Reading(percent(breached, met + breached), met + breached)


def test_sla_without_judged_conversations_is_undefined(sla_db: ClickHouse) -> None:
    """A window where nothing is met or breached has no rate and no data."""
    assert reading(sla_db, "sla_breach_rate", at("12:00"), at("12:15")) == Reading(None, 0)
    assert reading(sla_db, "sla_breached", at("12:00"), at("12:15")) == Reading(0.0, 0)


# backlog_growth: creations, resolutions and reopenings of acme (and one of globex).
FLOW = [
    ("conversation.created", "p", "08:00", "whatsapp"),
    ("conversation.created", "q", "09:10", "whatsapp"),
    ("conversation.created", "r", "09:20", "email"),
    ("conversation.resolved", "p", "09:30", "whatsapp"),
    ("conversation.created", "s", "10:03", "whatsapp"),
    ("conversation.created", "t", "10:08", "email"),
    ("conversation.reopened", "p", "10:09", "whatsapp"),
    ("conversation.resolved", "q", "10:11", "whatsapp"),
    ("conversation.created", "u", "10:14", "whatsapp"),
    ("conversation.resolved", "r", "10:40", "email"),
]


def flow_rows() -> list[dict[str, Any]]:
    rows = [event(kind, c, at(clock), channel=channel) for kind, c, clock, channel in FLOW]
    return [*rows, created("x", at("09:00"), tenant="globex")]


def backlog_at(instant: int, channel: str | None = None) -> int:
    change = {"conversation.created": 1, "conversation.reopened": 1, "conversation.resolved": -1}
    return sum(
        change[kind]
        for kind, _, clock, ch in FLOW
        if ms(at(clock)) < instant and channel in (None, ch)
    )


def created_in(start: int, end: int, channel: str | None = None) -> int:
    return sum(
        1
        for kind, _, clock, ch in FLOW
        if kind == "conversation.created" and start <= ms(at(clock)) < end and channel in (None, ch)
    )


@pytest.mark.parametrize("channel", [None, "whatsapp"])
@pytest.mark.parametrize(("start", "end"), [("10:00", "10:15"), ("10:07", "10:12")])
def test_backlog_growth_figures(db: ClickHouse, start: str, end: str, channel: str | None) -> None:
    """Backlog at both ends of a window and the creations inside it match the flow by hand."""
    store(db, flow_rows())
    only = {} if channel is None else {"channel": channel}
    for instant in (start, end):
        expected = backlog_at(ms(at(instant)), channel)
        got = reading(db, "backlog", at("07:00"), at(instant), **only)
        assert got == Reading(float(expected), 1)
    expected_created = created_in(ms(at(start)), ms(at(end)), channel)
    got = reading(db, "conversations_created", at(start), at(end), **only)
    assert got == Reading(float(expected_created), expected_created)


def test_backlog_rests_on_the_history_not_the_window(db: ClickHouse) -> None:
    """A backlog back to zero still has data; a tenant without conversations has none."""
    store(db, flow_rows()[:4])
    assert reading(db, "backlog", at("10:00"), at("10:15"), channel="email") == Reading(1.0, 1)
    store(db, [event("conversation.resolved", "r", at("09:25"), channel="email")])
    assert reading(db, "backlog", at("10:00"), at("10:15"), channel="email") == Reading(0.0, 1)
    assert reading(db, "backlog", at("10:00"), at("10:15"), channel="sms") == Reading(0.0, 0)
    none = read(db, "initech", "backlog", RuleFilter(), ms(at("10:00")), ms(at("10:15")))
    assert none == Reading(0.0, 0)


# csat_drop: scores through the morning, on two channels.
SCORES = [
    ("10:02", 5, "whatsapp"),
    ("10:20", 4, "whatsapp"),
    ("10:30", 2, "email"),
    ("10:45", 3, "whatsapp"),
    ("10:59", 5, "email"),
    ("11:00", 1, "whatsapp"),
    ("11:07", 4, "whatsapp"),
    ("11:10", 2, "whatsapp"),
    ("11:11", 4, "email"),
]


def csat_expected(start: int, end: int, channel: str | None = None) -> tuple[int, float, float]:
    scores = [
        s for clock, s, ch in SCORES if start <= ms(at(clock)) < end and channel in (None, ch)
    ]
    mean = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return len(scores), float(mean), percent(sum(1 for s in scores if s >= 4), len(scores))


@pytest.mark.parametrize("channel", [None, "whatsapp"])
@pytest.mark.parametrize(("start", "end"), [("10:00", "11:00"), ("10:07", "11:07")])
def test_csat_drop_figures(db: ClickHouse, start: str, end: str, channel: str | None) -> None:
    """CSAT mean, share of good scores and responses over an hour match the scores by hand."""
    rows = [
        event("csat.submitted", f"k{i}", at(clock), score=score, channel=ch)
        for i, (clock, score, ch) in enumerate(SCORES)
    ]
    store(db, [*rows, event("csat.submitted", "z", at("10:30"), tenant="globex", score=1)])
    only = {} if channel is None else {"channel": channel}
    n, mean, good = csat_expected(ms(at(start)), ms(at(end)), channel)
    assert reading(db, "csat_avg", at(start), at(end), **only) == Reading(mean, n)
    assert reading(db, "csat_percent", at(start), at(end), **only) == Reading(good, n)
    assert reading(db, "csat_responses", at(start), at(end), **only) == Reading(float(n), n)
    assert reading(db, "csat_avg", at("12:00"), at("13:00"), **only) == Reading(None, 0)


def test_response_and_resolution_times_over_a_window(db: ClickHouse) -> None:
    """FRT mean and nearest-rank p90 and the mean resolution time count what lands in the window."""
    frts = [60, 120, 180, 240, 300, 360, 420, 480, 540, 6000]
    rows: list[dict[str, Any]] = []
    for i, seconds in enumerate(frts):
        made = ms(at("09:00")) + i * MINUTE
        rows += [created(f"v{i}", made), reply(f"v{i}", made + seconds * 1000, agent_id="ann")]
    rows += [event("conversation.resolved", "v0", at("09:40")), created("w", at("09:45"))]
    store(db, rows)
    start, end = ms(at("09:01")), ms(at("09:20"))
    inside = sorted(
        s for i, s in enumerate(frts) if start <= ms(at("09:00")) + i * MINUTE + s * 1000 < end
    )
    mean = (Decimal(sum(inside)) / len(inside)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    rank = -(-90 * len(inside) // 100)
    got = read(db, "acme", "frt_avg_seconds", RuleFilter(), start, end)
    assert got == Reading(float(mean), len(inside))
    got = read(db, "acme", "frt_p90_seconds", RuleFilter(), start, end)
    assert got == Reading(float(inside[rank - 1]), len(inside))
    resolution = read(db, "acme", "resolution_avg_seconds", RuleFilter(), start, ms(at("10:00")))
    assert resolution == Reading(40 * 60.0, 1)
