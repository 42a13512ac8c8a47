"""The recalculation walk, its wire form and its report, over an in-memory derivation."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

import pytest

from pulse.families.derivation import Difference
from pulse.families.recalc import (
    BadRecalcRequestError,
    ChunkDone,
    FamilyDone,
    RecalcError,
    RecalcRequest,
    parse_instant,
    recalc,
)
from pulse.families.recalc_wire import (
    error_line,
    event_from_line,
    event_line,
    request_from_json,
    request_to_json,
)
from pulse.recalc_report import as_json, follow, print_text
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.errors import ClickHouseError
from tests.families.recalc_fakes import fake

NO_DB = cast(ClickHouse, None)


def ticking() -> Callable[[], float]:
    ticks = itertools.count()
    return lambda: float(next(ticks))


def test_refresh_walks_every_chunk_and_sums_a_family() -> None:
    """Each chunk of keys is refreshed once and reported; the family's totals close the walk."""
    derivation = fake(count=5, rows_per_key=3)
    events = list(recalc(NO_DB, [derivation], RecalcRequest(), clock=ticking()))
    assert [e.keys for e in events if isinstance(e, ChunkDone)] == [2, 2, 2]
    assert sum(len(c) for c in derivation.refreshed) == 6
    assert events[-1] == FamilyDone("fake", keys=6, rows=18, differences=0, seconds=1.0)
    assert derivation.verified == []


def test_the_range_and_tenant_reach_keys_in() -> None:
    """A tenant and a half-open range are handed to ``keys_in`` as given."""
    derivation = fake(count=5)
    request = RecalcRequest(tenant_id="acme", from_ms=1000, to_ms=3000)
    events = list(recalc(NO_DB, [derivation], request))
    assert derivation.asked == [("acme", 1000, 3000)]
    assert derivation.refreshed == [[("acme", "k1"), ("acme", "k2")]]
    assert isinstance(events[-1], FamilyDone) and events[-1].keys == 2


def test_verify_compares_and_writes_nothing() -> None:
    """--verify asks for differences chunk by chunk and never refreshes."""
    derivation = fake(count=3, wrong={("acme", "k2")})
    events = list(recalc(NO_DB, [derivation], RecalcRequest(verify=True)))
    assert derivation.refreshed == []
    found = [d for e in events if isinstance(e, ChunkDone) for d in e.differences]
    assert found == [Difference("fake_rows", ("acme", "k2"), "total", 1, 2)]
    assert events[-1] == FamilyDone("fake", 4, 0, 1, cast(FamilyDone, events[-1]).seconds)


def test_families_run_in_registry_order_and_can_be_chosen() -> None:
    """Without --family every derivation runs in order; with it, only those named."""
    first, second = fake("one", count=1), fake("two", count=1)
    every = [e.family for e in recalc(NO_DB, [first, second], RecalcRequest())]
    assert every == ["one", "one", "two", "two"]
    chosen = list(recalc(NO_DB, [first, second], RecalcRequest(families=("two",))))
    assert {e.family for e in chosen} == {"two"}


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (RecalcRequest(families=("nope",)), "unknown family 'nope'; known: fake"),
        (RecalcRequest(from_ms=5, to_ms=5), "--from must be before --to"),
        (RecalcRequest(tenant_id=""), "--tenant must not be empty"),
    ],
)
def test_a_bad_request_is_refused_before_any_work(request_: RecalcRequest, message: str) -> None:
    """An unknown family, an empty range or an empty tenant raise before keys are read."""
    derivation = fake()
    with pytest.raises(BadRecalcRequestError, match=message):
        list(recalc(NO_DB, [derivation], request_))
    assert derivation.asked == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
        ("2026-11-30T12:00:00Z", datetime(2026, 11, 30, 12, tzinfo=UTC)),
        ("2026-11-30T12:00:00+05:30", datetime(2026, 11, 30, 6, 30, tzinfo=UTC)),
    ],
)
def test_instants_are_iso_and_utc_unless_zoned(text: str, expected: datetime) -> None:
    """Dates and date-times parse to UTC milliseconds; an offset is honoured."""
    assert parse_instant(text, "--from") == int(expected.timestamp() * 1000)


def test_an_unparseable_instant_names_its_option() -> None:
    """Garbage in --to is a BadRecalcRequestError naming the option and the value."""
    with pytest.raises(BadRecalcRequestError, match="--to 'yesterday' is not an ISO-8601"):
        parse_instant("yesterday", "--to")


def test_events_survive_their_wire_form() -> None:
    """A chunk (with differences holding instants) and a summary read back as sent."""
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    chunk = ChunkDone("f", 2, 0, (Difference("t", ("acme", 7), "first_at", at, None),))
    back = event_from_line(event_line(chunk))
    assert back == ChunkDone(
        "f", 2, 0, (Difference("t", ("acme", 7), "first_at", at.isoformat(), None),)
    )
    done = FamilyDone("f", 2, 5, 1, 0.25)
    assert event_from_line(event_line(done)) == done


def test_an_error_line_becomes_a_recalc_error() -> None:
    """The serving process's last line on a failure raises with its message and fields."""
    line = error_line(ClickHouseError("the engine went away", table="fake_rows"))
    with pytest.raises(RecalcError, match="the engine went away") as raised:
        event_from_line(line)
    assert raised.value.fields["table"] == "fake_rows"


def test_a_request_survives_its_wire_form_and_bad_shapes_are_refused() -> None:
    """request_to_json/request_from_json round-trip; a wrong type is a bad request."""
    request = RecalcRequest("acme", 1, 2, ("fake",), True)
    assert request_from_json(json.loads(json.dumps(request_to_json(request)))) == request
    with pytest.raises(BadRecalcRequestError):
        request_from_json({"from_ms": "yesterday"})


def test_follow_draws_a_bar_and_refuses_a_stream_cut_short() -> None:
    """The bar counts keys; a stream that ends before a family's summary is an error."""
    derivation = fake(count=3)
    bar = io.StringIO()
    summary = follow(recalc(NO_DB, [derivation], RecalcRequest()), ["fake"], bar, quiet=False)
    assert summary.families[0].keys == 4
    assert "fake: " in bar.getvalue() and "4key" in bar.getvalue().replace(" ", "")
    cut = [ChunkDone("fake", 2, 2)]
    with pytest.raises(RecalcError, match="stopped before family 'fake' finished"):
        follow(cut, ["fake"], io.StringIO(), quiet=True)


def test_the_text_report_lists_differences_then_totals() -> None:
    """--verify prints one row per difference, then each family's keys and count."""
    derivation = fake(count=2, wrong={("acme", "k1")})
    request = RecalcRequest(verify=True)
    summary = follow(recalc(NO_DB, [derivation], request), ["fake"], io.StringIO(), quiet=True)
    out = io.StringIO()
    print_text(summary, verify=True, out=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["family", "table", "key", "column", "stored", "recomputed"]
    assert lines[1].split() == ["fake", "fake_rows", "acme,", "k1", "total", "1", "2"]
    assert lines[2].startswith("fake: 3 keys checked, 1 differ, ")
    assert as_json(summary, request)["differences"] == [
        {
            "family": "fake",
            "table": "fake_rows",
            "key": ["acme", "k1"],
            "column": "total",
            "stored": 1,
            "recomputed": 2,
        }
    ]
