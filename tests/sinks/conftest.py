"""Fixtures of the sink tests: an embedded ClickHouse in the test's own directory, migrated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator


@pytest.fixture
def clickhouse(settings: Settings) -> Iterator[ClickHouse]:
    """A ClickHouse client on the test's chdb directory, with no tables yet."""
    client = connect(settings.clickhouse)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def migrated(clickhouse: ClickHouse, settings: Settings) -> ClickHouse:
    """The same client after every migration has been applied."""
    Migrator(clickhouse, settings.clickhouse.database).up()
    return clickhouse
