"""Query parameters reach ClickHouse as values, never as SQL, whatever characters they hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.params import format_param

pytestmark = pytest.mark.clickhouse

# ClickHouse strings are bytes; text that Python can encode is what users can send.
text = st.text(st.characters(codec="utf-8"), max_size=40)


@given(value=text)
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_string_round_trips_through_a_string_parameter(
    clickhouse: ClickHouse, value: str
) -> None:
    """Every string, quotes, backslashes and control characters included, comes back unchanged."""
    rows = clickhouse.query("SELECT {v:String} AS v, length({v:String}) AS n", {"v": value})
    assert rows == [{"v": value, "n": len(value.encode())}]


@given(values=st.lists(text, max_size=5))
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_string_list_round_trips_through_an_array_parameter(
    clickhouse: ClickHouse, values: list[str]
) -> None:
    """Lists of arbitrary strings arrive as the same Array(String)."""
    rows = clickhouse.query("SELECT {v:Array(String)} AS v", {"v": values})
    assert rows == [{"v": values}]


def test_an_injection_attempt_is_only_a_value(clickhouse: ClickHouse) -> None:
    """A tenant id crafted to end the literal and add a clause matches nothing and runs nothing."""
    clickhouse.execute("CREATE TABLE t (tenant_id String) ENGINE = MergeTree ORDER BY tenant_id")
    clickhouse.execute("INSERT INTO t VALUES ('a'), ('b')")
    evil = "a' OR 1=1 --"
    rows = clickhouse.query("SELECT count() AS n FROM t WHERE tenant_id = {t:String}", {"t": evil})
    assert rows == [{"n": 0}]
    rows = clickhouse.query("SELECT count() AS n FROM t WHERE tenant_id = {t:String}", {"t": "a"})
    assert rows == [{"n": 1}]


def test_scalars_bind_to_their_types(clickhouse: ClickHouse) -> None:
    """Ints, bools, floats, NULL and aware datetimes bind to the declared ClickHouse types."""
    at = datetime(2024, 3, 31, 1, 2, 3, 456000, tzinfo=UTC)
    rows = clickhouse.query(
        "SELECT {i:Int64} AS i, {b:Bool} AS b, {f:Float64} AS f, {n:Nullable(Int32)} AS n, "
        "toUnixTimestamp64Milli({t:DateTime64(3, 'UTC')}) AS t",
        {"i": -(2**40), "b": True, "f": 0.25, "n": None, "t": at},
    )
    assert rows == [{"i": -(2**40), "b": True, "f": 0.25, "n": None, "t": 1711846923456}]


def test_a_value_of_the_wrong_type_is_refused_not_coerced(clickhouse: ClickHouse) -> None:
    """A string bound to an Int32 placeholder is an error, not a partial parse."""
    from pulse.sinks.errors import ClickHouseError

    with pytest.raises(ClickHouseError):
        clickhouse.query("SELECT {i:Int32} AS i", {"i": "1; DROP TABLE t"})


@given(value=text)
def test_escaped_form_has_no_raw_control_characters(value: str) -> None:
    """The escaped text of a string holds no tab, newline or NUL a TSV reader would split on."""
    escaped = format_param(value)
    assert not {"\t", "\n", "\0", "\r"} & set(escaped)


def test_naive_datetimes_are_refused() -> None:
    """A datetime without a zone is ambiguous, so binding it fails loudly."""
    with pytest.raises(ValueError):
        format_param(datetime(2024, 1, 1))
