"""The ClickHouse interface: picking an implementation, typed results, inserts, and its limits."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulse.settings import ClickHouseSettings, Settings
from pulse.sinks.arrow_types import arrow_type
from pulse.sinks.clickhouse import ClickHouse, connect, identifier, qualified
from pulse.sinks.errors import ClickHouseError
from pulse.sinks.server_client import ServerClickHouse

TABLE = """
CREATE TABLE kv (k LowCardinality(String), at DateTime64(3, 'UTC'), n Nullable(Int32),
                 m Map(String, String), tags Array(String), big UInt64)
ENGINE = MergeTree ORDER BY k
"""


@pytest.mark.parametrize(
    ("ch_type", "arrow"),
    [
        ("LowCardinality(String)", pa.string()),
        ("Nullable(Int32)", pa.int32()),
        ("DateTime64(3, 'UTC')", pa.timestamp("ms", tz="UTC")),
        ("Map(String, String)", pa.map_(pa.string(), pa.string())),
        ("Array(String)", pa.list_(pa.string())),
        ("Nullable(Bool)", pa.bool_()),
    ],
)
def test_clickhouse_types_map_to_arrow_types(ch_type: str, arrow: pa.DataType) -> None:
    """Each column type of the migrations has the Arrow type ClickHouse reads it from."""
    assert arrow_type(ch_type) == arrow


def test_an_unmapped_type_is_an_error() -> None:
    """A type no migration uses yet fails loudly instead of guessing."""
    with pytest.raises(ClickHouseError):
        arrow_type("IPv6")


WORD = set(string.ascii_letters + string.digits + "_")


@given(st.text(max_size=20))
def test_accepted_identifiers_hold_no_sql_syntax(name: str) -> None:
    """Whatever string is offered, an accepted identifier is only ASCII letters, digits and _."""
    try:
        identifier(name)
    except ClickHouseError:
        return
    assert name and set(name) <= WORD and not name[0].isdigit()


@pytest.mark.parametrize("name", ["", "1a", "a.b", "a b", "a`", "a'--", "é"])
def test_names_with_syntax_are_refused(name: str) -> None:
    """Dots, spaces, quotes, leading digits and non-ASCII letters never reach SQL text."""
    with pytest.raises(ClickHouseError):
        identifier(name)


def test_qualified_names_are_checked_part_by_part() -> None:
    """A bare table gets the database; a dotted name is kept; an injected one is refused."""
    assert qualified("pulse", "events_raw") == "pulse.events_raw"
    assert qualified("pulse", "other.t") == "other.t"
    with pytest.raises(ClickHouseError):
        qualified("pulse", "t; DROP TABLE x")


def test_an_unknown_url_scheme_is_a_config_error() -> None:
    """Only chdb:// and clickhouse:// URLs are understood."""
    with pytest.raises(ClickHouseError):
        connect(ClickHouseSettings(url="http://127.0.0.1:8123"))


def test_an_unreachable_server_is_a_clickhouse_error() -> None:
    """A server URL nobody listens on fails with ClickHouseError, not a socket error."""
    with pytest.raises(ClickHouseError):
        ServerClickHouse("clickhouse://default:@127.0.0.1:1/pulse")


@pytest.mark.clickhouse
def test_rows_and_columns_inserts_read_back_typed(clickhouse: ClickHouse) -> None:
    """Row and columnar inserts store the same values; reads give aware datetimes, dicts, lists."""
    clickhouse.execute(TABLE)
    at = 1_717_200_000_123
    row = {"k": "a", "at": at, "n": None, "m": {"x": "y"}, "tags": ["t"], "big": 2**64 - 1}
    clickhouse.insert("kv", [row], list(row))
    clickhouse.insert_columns("kv", {**{k: [v] for k, v in row.items()}, "k": ["b"]})
    rows = clickhouse.query("SELECT * FROM kv ORDER BY k")
    expected = {**row, "at": datetime.fromtimestamp(at / 1000, UTC)}
    assert rows == [expected, {**expected, "k": "b"}]


@pytest.mark.clickhouse
def test_execute_counts_the_rows_a_statement_wrote(clickhouse: ClickHouse) -> None:
    """An INSERT … SELECT reports the rows it wrote (what a refresh returns); DDL reports 0."""
    assert clickhouse.execute(TABLE) == 0
    insert = "INSERT INTO kv (k, at) SELECT toString(number), now64(3) FROM numbers({n:UInt32})"
    assert clickhouse.execute(insert, {"n": 7}) == 7
    assert clickhouse.execute(insert, {"n": 0}) == 0


@pytest.mark.clickhouse
def test_values_that_do_not_fit_are_a_clickhouse_error(clickhouse: ClickHouse) -> None:
    """A value Arrow cannot put in the column's type fails as ClickHouseError before inserting."""
    clickhouse.execute(TABLE)
    with pytest.raises(ClickHouseError):
        clickhouse.insert_columns("kv", {"k": ["a"], "n": ["not a number"]})
    with pytest.raises(ClickHouseError):
        clickhouse.insert_columns("missing_table", {"k": ["a"]})


@pytest.mark.clickhouse
def test_a_second_data_directory_in_one_process_is_refused(
    clickhouse: ClickHouse, tmp_path: Path, settings: Settings
) -> None:
    """chdb serves one directory per process, so opening another fails loudly."""
    with pytest.raises(ClickHouseError):
        connect(ClickHouseSettings(url=f"chdb://{tmp_path / 'other'}", database="pulse"))
    assert clickhouse.query("SELECT 1 AS one") == [{"one": 1}]


@pytest.mark.clickhouse
def test_a_closed_client_refuses_work(settings: Settings) -> None:
    """After close, any call is a ClickHouseError rather than a crash in the engine."""
    client = connect(settings.clickhouse)
    client.close()
    with pytest.raises(ClickHouseError):
        client.query("SELECT 1")
