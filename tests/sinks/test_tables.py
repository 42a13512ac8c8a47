"""The writer's column specs and the migrated tables describe the same columns."""

from __future__ import annotations

import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.tables import TABLES
from pulse.sinks.writer import RowsWriter

pytestmark = pytest.mark.clickhouse

KIND_OF_TYPE = {
    "String": "string",
    "LowCardinality(String)": "string",
    "DateTime64(3, 'UTC')": "ms",
    "Map(String, String)": "map",
    "Array(String)": "array",
    "Nullable(Bool)": "nullable_bool",
}


def kind(ch_type: str) -> tuple[str, int]:
    if ch_type in KIND_OF_TYPE:
        return KIND_OF_TYPE[ch_type], 64
    nullable = ch_type.startswith("Nullable(")
    base = ch_type.removeprefix("Nullable(").removesuffix(")") if nullable else ch_type
    signed = not base.startswith("U")
    bits = int(base.removeprefix("U").removeprefix("Int"))
    name = ("nullable_" if nullable else "") + ("int" if signed else "uint")
    return name, bits


@pytest.mark.parametrize("table", sorted(TABLES))
def test_specs_match_the_migrated_columns(
    migrated: ClickHouse, settings: Settings, table: str
) -> None:
    """Every column, in order, has the kind and width the migration gave it."""
    rows = migrated.query(
        "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} "
        "ORDER BY position",
        {"db": settings.clickhouse.database, "t": table},
    )
    actual = [(r["name"], *kind(r["type"])) for r in rows]
    expected = [(c.name, c.kind, c.bits if c.kind.endswith("int") else 64) for c in TABLES[table]]
    assert actual == expected


_SOME = {"string": "x", "ms": 0, "uint": 1}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_column_left_out_of_an_insert_takes_the_default_the_specs_name(
    migrated: ClickHouse, settings: Settings, table: str
) -> None:
    """The writer leaves out columns that hold only defaults; ClickHouse fills in the same."""
    cols = TABLES[table]
    RowsWriter(migrated).write(table, [{c.name: _SOME[c.kind] for c in cols if c.required}])
    select = ", ".join(
        f"toUnixTimestamp64Milli({c.name}) AS {c.name}" if c.kind == "ms" else c.name
        for c in cols
        if not c.required
    )
    (stored,) = migrated.query(f"SELECT {select} FROM {settings.clickhouse.database}.{table}")
    assert stored == {c.name: c.default for c in cols if not c.required}
