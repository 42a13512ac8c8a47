"""Opens what the API reads from, for the ``api`` and ``serve`` commands."""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette

from pulse.graphql.app import create_app
from pulse.graphql.health import kafka_check
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache


def open_realtime(settings: Settings) -> RealtimeCache:
    return RealtimeCache(settings.redis.url, settings.redis.realtime_ttl_seconds)


def build_app(settings: Settings, clickhouse: ClickHouse, realtime: RealtimeCache) -> Starlette:
    return create_app(settings, clickhouse, realtime, kafka_check(settings.kafka.bootstrap_servers))


def server(
    settings: Settings, app: Starlette, host: str | None, port: int | None
) -> uvicorn.Server:
    """A uvicorn server for ``app``; logs go through the process's logging set-up."""
    config = uvicorn.Config(
        app,
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_config=None,
        lifespan="off",
    )
    return uvicorn.Server(config)
