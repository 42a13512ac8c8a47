"""Shared fixtures: per-test settings with unique topic names, and service reachability.

Tests run in parallel (pytest-xdist, `make test`): each test has its own topic prefix, chdb
directory, Faust directory and listening ports, and each xdist worker its own Redis database, since
the realtime keys are named by tenant and tests share tenant names.

A test that needs Kafka, ClickHouse or Redis *fails* when the service is unreachable; nothing is
skipped (`make test` starts the services first).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pulse.settings import ClickHouseSettings, Settings
from tests.cleanup import delete_topics
from tests.e2e.harness import free_port


def _worker_redis_url(url: str) -> str:
    """``url`` with database 1 + the xdist worker's number (gw0 → 1); unchanged outside xdist.

    Redis has 16 databases by default, so at most 15 workers are kept apart."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    number = int(worker[2:])
    if number >= 15:
        raise pytest.UsageError("at most 15 xdist workers: each needs its own Redis database")
    return urlsplit(url)._replace(path=f"/{1 + number}").geturl()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings of an isolated pipeline: its own topic prefix, app id, chdb dir, Faust dir, ports
    and (per xdist worker) Redis database."""
    run = uuid.uuid4().hex[:8]
    base = Settings()
    return replace(
        base,
        kafka=replace(base.kafka, topic_prefix=f"test{run}"),
        stream=replace(
            base.stream,
            app_id=f"test{run}-worker",
            data_dir=tmp_path / "faust",
            web_port=free_port(),
        ),
        clickhouse=ClickHouseSettings(url=f"chdb://{tmp_path / 'chdb'}", database="pulse"),
        sink=replace(base.sink, group_id=f"test{run}-sink", metrics_port=free_port()),
        redis=replace(base.redis, url=_worker_redis_url(base.redis.url)),
        api=replace(base.api, port=free_port()),
        collector=replace(base.collector, port=free_port()),
        alerts=replace(
            base.alerts,
            metrics_port=free_port(),
            evaluate_metrics_port=free_port(),
        ),
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
