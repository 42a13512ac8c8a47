"""Shared fixtures: per-test settings with unique topic names, and service reachability.

A test that needs Kafka, ClickHouse or Redis *fails* when the service is unreachable; nothing is
skipped (`make test` starts the services first).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pulse.settings import ClickHouseSettings, Settings
from tests.cleanup import delete_topics


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings of an isolated pipeline: its own topic prefix, app id, chdb dir and Faust dir."""
    run = uuid.uuid4().hex[:8]
    base = Settings()
    return replace(
        base,
        kafka=replace(base.kafka, topic_prefix=f"test{run}"),
        stream=replace(base.stream, app_id=f"test{run}-worker", data_dir=tmp_path / "faust"),
        clickhouse=ClickHouseSettings(url=f"chdb://{tmp_path / 'chdb'}", database="pulse"),
        sink=replace(base.sink, group_id=f"test{run}-sink"),
    )


@pytest.fixture
def kafka(settings: Settings) -> Iterator[str]:
    """The bootstrap address of the real broker; fails the test if it is down.

    Afterwards the test's topics (its prefix, and its Faust app's changelogs) are deleted.
    """
    host, port = settings.kafka.bootstrap_servers.split(",")[0].rsplit(":", 1)
    if not _reachable(host, int(port)):
        pytest.fail(f"Kafka is not reachable at {host}:{port}; run `make services-up`")
    yield settings.kafka.bootstrap_servers
    delete_topics(
        settings.kafka.bootstrap_servers,
        (f"{settings.kafka.topic_prefix}.", f"{settings.stream.app_id}-"),
    )


@pytest.fixture
def redis_url(settings: Settings) -> str:
    """The URL of the real Redis; fails the test if it is down."""
    if not _reachable("127.0.0.1", 6379):
        pytest.fail("Redis is not reachable at 127.0.0.1:6379; run `make services-up`")
    return settings.redis.url
