"""helpdeskBreakdown by HOUR, DAY and WEEK: each row is its bucket's figures, worked out here from
the conversations (a figure lands at its own moment) and equal to helpdeskMetrics' bucket, across
a fall-back day (New York, 2026-11-01: 25 hours, two 01:00) and in a +05:30 zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import connect
from pulse.sinks.migrator import Migrator
from tests.families.events import store
from tests.graphql.conftest import MemoryStore, Tenants, graphql, kafka_up, token
from tests.graphql.helpdesk_breakdown_dataset import conversations, events, figures

pytestmark = [pytest.mark.clickhouse]

# Created from Friday 2026-10-30 00:00 New York (a few before) over 86 hours.
STORY = conversations(seed=11, count=300, start=datetime(2026, 10, 30, 4, tzinfo=UTC), hours=86)
FIGURES = (
    "conversationsCreated conversationsResolved conversationsReopened firstResponses"
    " frtAvgSeconds frtP50Seconds frtP90Seconds resolutions resolutionAvgSeconds"
    " resolutionP50Seconds resolutionP90Seconds slaMet slaBreached slaBreachRate backlog"
    " csatResponses csatAvg csatPercent"
)
ADDITIVE = [
    "conversationsCreated",
    "conversationsResolved",
    "conversationsReopened",
    "firstResponses",
    "resolutions",
    "slaMet",
    "slaBreached",
    "csatResponses",
]
QUERY = f"""query($from: DateTime!, $to: DateTime!, $zone: String!, $by: [HelpdeskDimension!]!,
               $grain: Granularity!, $sort: HelpdeskFigure!, $limit: Int!) {{
  helpdeskBreakdown(from: $from, to: $to, asOf: $to, timeZone: $zone, by: $by, sortBy: $sort,
                    limit: $limit) {{
    timeZone
    rows {{ keys {{ dimension value }} {FIGURES} }}
    other {{ groups {FIGURES} }}
    total {{ groups {FIGURES} }}
  }}
  helpdeskMetrics(from: $from, to: $to, asOf: $to, timeZone: $zone, granularity: $grain) {{
    buckets {{ start {FIGURES} }}
    totals {{ {FIGURES} }}
  }}
}}"""


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    db = connect(settings.clickhouse)
    try:
        Migrator(db, settings.clickhouse.database).up()
        store(db, events(STORY))
        with TestClient(create_app(settings, db, MemoryStore(), kafka_up, Tenants())) as client:
            client.headers["Authorization"] = f"Bearer {token(settings)}"
            yield client
    finally:
        db.close()


def _midnight_ms(day: date, zone: str) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp() * 1000)


def _day(d: date, zone: str, end: int) -> tuple[int, int, int]:
    """The local day ``d`` as a window judged at ``end``."""
    return (_midnight_ms(d, zone), _midnight_ms(d + timedelta(1), zone), end)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def ask(
    client: TestClient,
    zone: str,
    first: date,
    last: date,
    by: list[str],
    grain: str = "DAY",
    sort: str = "CONVERSATIONS_CREATED",
    limit: int = 1000,
) -> dict[str, Any]:
    """Breakdown and metrics over local [first, last) in ``zone``, judged at the range's end."""
    variables = {
        "from": _iso(_midnight_ms(first, zone)),
        "to": _iso(_midnight_ms(last, zone)),
        "zone": zone,
        "by": by,
        "grain": grain,
        "sort": sort,
        "limit": limit,
    }
    body = graphql(client, QUERY, variables)
    assert "errors" not in body, body
    return dict(body["data"])


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days)]


def _figures_of(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in FIGURES.split()}


def _by_start(metrics: dict[str, Any]) -> dict[int, dict[str, Any]]:
    starts = {}
    for b in metrics["buckets"]:
        at = datetime.fromisoformat(b["start"].replace("Z", "+00:00"))
        starts[int(at.timestamp() * 1000)] = _figures_of(b)
    return starts


CASES = [
    # The fall-back day 2026-11-01 has 25 hours; the story starts inside the range.
    ("America/New_York", date(2026, 10, 30), date(2026, 11, 3)),
    # +05:30, starting after many conversations began: their moments open the backlog.
    ("Asia/Kolkata", date(2026, 10, 31), date(2026, 11, 3)),
]


@pytest.mark.parametrize(("zone", "first", "last"), CASES)
def test_day_rows_are_each_days_figures_and_helpdesk_metrics_buckets(
    api: TestClient, zone: str, first: date, last: date
) -> None:
    """By DAY: every figure of each local day equals the recomputation and the metrics' day."""
    end = _midnight_ms(last, zone)
    data = ask(api, zone, first, last, ["DAY"])
    found = data["helpdeskBreakdown"]
    expected = {d.isoformat(): figures(STORY, _day(d, zone, end)) for d in _days(first, last)}
    rows = {r["keys"][0]["value"]: _figures_of(r) for r in found["rows"]}
    assert found["timeZone"] == zone
    assert rows == expected
    buckets = _by_start(data["helpdeskMetrics"])
    assert {d: buckets[_midnight_ms(date.fromisoformat(d), zone)] for d in rows} == rows
    assert found["other"] is None
    start = _midnight_ms(first, zone)
    assert _figures_of(found["total"]) == figures(STORY, (start, end, end))
    assert _figures_of(found["total"]) == data["helpdeskMetrics"]["totals"]
    assert found["total"]["groups"] == len(rows)


@pytest.mark.parametrize(("zone", "first", "last"), CASES)
def test_day_by_channel_rows_are_each_channels_day_and_add_up(
    api: TestClient, zone: str, first: date, last: date
) -> None:
    """By DAY and CHANNEL: each row is its channel's day; counts add up to the day's figures."""
    end = _midnight_ms(last, zone)
    data = ask(api, zone, first, last, ["DAY", "CHANNEL"])
    rows = data["helpdeskBreakdown"]["rows"]
    found = {(r["keys"][0]["value"], r["keys"][1]["value"]): _figures_of(r) for r in rows}
    expected = {}
    for d in _days(first, last):
        window = _day(d, zone, end)
        for channel in ("email", "whatsapp"):
            expected[d.isoformat(), channel] = figures(
                [c for c in STORY if c.channel == channel], window
            )
    assert found == expected
    days = _by_start(data["helpdeskMetrics"])
    for d in _days(first, last):
        day = days[_midnight_ms(d, zone)]
        for name in [*ADDITIVE, "backlog"]:
            assert sum(f[name] for (k, _), f in found.items() if k == d.isoformat()) == day[name]


def test_hour_rows_are_helpdesk_metrics_hours_across_a_fall_back(api: TestClient) -> None:
    """By HOUR in New York: each row is the metrics' hour, the repeated 01:00 two rows."""
    data = ask(api, "America/New_York", date(2026, 10, 31), date(2026, 11, 2), ["HOUR"], "HOUR")
    buckets = _by_start(data["helpdeskMetrics"])
    rows = {}
    for r in data["helpdeskBreakdown"]["rows"]:
        at = datetime.strptime(r["keys"][0]["value"], "%Y-%m-%dT%H:%M:%S%z")
        rows[int(at.timestamp() * 1000)] = _figures_of(r)
    assert len(buckets) == 49
    assert rows == {start: buckets[start] for start in rows}
    # An hour without a row has nothing landing in it.
    assert all(not any(buckets[s][n] for n in ADDITIVE) for s in buckets.keys() - rows.keys())
    keys = {r["keys"][0]["value"] for r in data["helpdeskBreakdown"]["rows"]}
    assert {"2026-11-01T01:00:00-0400", "2026-11-01T01:00:00-0500"} <= keys


def test_week_rows_start_on_monday_as_helpdesk_metrics_weeks(api: TestClient) -> None:
    """By WEEK: the rows are keyed by Monday and equal the recomputed and the metrics' weeks."""
    zone, first, last = "America/New_York", date(2026, 10, 26), date(2026, 11, 9)
    end = _midnight_ms(last, zone)
    data = ask(api, zone, first, last, ["WEEK"], "WEEK")
    rows = {r["keys"][0]["value"]: _figures_of(r) for r in data["helpdeskBreakdown"]["rows"]}
    weeks = [first, first + timedelta(7)]
    assert rows == {
        w.isoformat(): figures(
            STORY, (_midnight_ms(w, zone), _midnight_ms(w + timedelta(7), zone), end)
        )
        for w in weeks
    }
    buckets = _by_start(data["helpdeskMetrics"])
    assert rows == {w.isoformat(): buckets[_midnight_ms(w, zone)] for w in weeks}


def test_sorted_by_backlog_days_fold_the_rest_without_a_backlog(api: TestClient) -> None:
    """By DAY sorted by backlog, 2 rows: the fullest days' end levels; `other`'s backlog is
    what its day added."""
    zone, first, last = "Asia/Kolkata", date(2026, 10, 31), date(2026, 11, 3)
    end = _midnight_ms(last, zone)
    data = ask(api, zone, first, last, ["DAY"], sort="BACKLOG", limit=2)
    found = data["helpdeskBreakdown"]
    daily = {d.isoformat(): figures(STORY, _day(d, zone, end)) for d in _days(first, last)}
    order = sorted(daily, key=lambda d: (-daily[d]["backlog"], d))
    assert [r["keys"][0]["value"] for r in found["rows"]] == order[:2]
    assert [r["backlog"] for r in found["rows"]] == [daily[d]["backlog"] for d in order[:2]]
    rest = order[2]
    day = date.fromisoformat(rest)
    before = figures(STORY, (0, _midnight_ms(day, zone), end))["backlog"]
    assert found["other"]["groups"] == 1
    added = daily[rest]["backlog"] - before
    assert _figures_of(found["other"]) == {**daily[rest], "backlog": added}
    assert found["total"]["backlog"] == data["helpdeskMetrics"]["totals"]["backlog"]


def test_two_times_are_refused(api: TestClient) -> None:
    """By DAY and HOUR at once: an argument error naming `by`."""
    body = graphql(
        api,
        'query { helpdeskBreakdown(from: "2026-10-30T00:00:00Z", to: "2026-10-31T00:00:00Z",'
        " by: [DAY, HOUR]) { total { groups } } }",
    )
    assert "HOUR, DAY and WEEK" in body["errors"][0]["message"]
