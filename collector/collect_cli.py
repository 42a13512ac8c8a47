"""``pulse collect``: the HTTP collector, a process of its own (any number of them).

It follows the keys topic (caught up before the first request, so no valid key is refused
after a start), shares one idempotent producer among its requests, and keeps its rate limits
in Redis, so several collectors behind a balancer share every key's bucket.
"""

from __future__ import annotations

import argparse
import signal
from types import FrameType

import redis.asyncio as aioredis
import structlog
import uvicorn

from pulse.avro.codec import EventEncoder
from pulse.avro.instants import InstantBounds
from pulse.avro.registry import registry_client
from pulse.avro.schemas import SchemaCatalog
from pulse.collector.app import Collector, create_app
from pulse.collector.auth import KeyLookup
from pulse.collector.client_ip import Network, parse_proxies
from pulse.collector.key_directory import KeyDirectory
from pulse.collector.letters import CollectorLetters
from pulse.collector.publisher import Publisher
from pulse.collector.verdicts import Judge
from pulse.errors import ConfigError
from pulse.rate_limit import RateLimiter
from pulse.settings import CollectorSettings, Settings
from pulse.topics.routing import default_router

log = structlog.get_logger(__name__)

KEYS_CATCH_UP_SECONDS = 60.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="bind address (default PULSE_COLLECTOR_HOST)")
    parser.add_argument("--port", type=int, help="port (default PULSE_COLLECTOR_PORT)")


def check_settings(collector: CollectorSettings) -> None:
    """A bulk request must fit the bucket, or one could never pass."""
    if collector.burst < collector.max_bulk_events:
        raise ConfigError(
            f"PULSE_COLLECTOR_BURST={collector.burst} is below"
            f" PULSE_COLLECTOR_MAX_BULK_EVENTS={collector.max_bulk_events}",
            var="PULSE_COLLECTOR_BURST",
        )
    if collector.rate_per_second <= 0 or collector.max_body_bytes <= 0:
        raise ConfigError(
            "PULSE_COLLECTOR_RATE_PER_SECOND and _MAX_BODY_BYTES must be positive",
            var="PULSE_COLLECTOR_RATE_PER_SECOND",
        )


def judge_for(settings: Settings) -> Judge:
    encoder = EventEncoder(SchemaCatalog(), registry_client(settings.kafka.schema_registry_url))
    bounds = InstantBounds.from_settings(settings.contract)
    return Judge(default_router(), encoder, bounds, settings.kafka.topic_prefix)


def collector_for(
    settings: Settings,
    keys: KeyLookup,
    publisher: Publisher,
    limiter: RateLimiter,
    proxies: tuple[Network, ...],
) -> Collector:
    return Collector(
        settings.collector,
        keys,
        judge_for(settings),
        publisher,
        limiter,
        CollectorLetters(settings.kafka.topic_prefix),
        settings.topic("rows"),
        proxies,
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    config = settings.collector
    check_settings(config)
    proxies = parse_proxies(config.trusted_proxies)
    keys = KeyDirectory.from_settings(settings)
    publisher = Publisher(settings.kafka)
    client = aioredis.Redis.from_url(settings.redis.url)
    try:
        keys.start()
        keys.wait_until_caught_up(KEYS_CATCH_UP_SECONDS)
        limiter = RateLimiter(
            client, settings.kafka.topic_prefix, config.rate_per_second, config.burst
        )
        app = create_app(collector_for(settings, keys, publisher, limiter, proxies))
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=args.host or config.host,
                port=args.port or config.port,
                log_config=None,
                lifespan="off",
                access_log=False,
            )
        )
        log.info("collector_listening", host=server.config.host, port=server.config.port)
        _serve(server)
    finally:
        unacknowledged = publisher.close(config.ack_timeout_seconds)
        if unacknowledged:
            log.error("collector_unacknowledged_on_exit", messages=unacknowledged)
        keys.close()
    return 0


def _serve(server: uvicorn.Server) -> None:
    """Serves until SIGINT/SIGTERM; either is a clean stop, so the producer is flushed.

    uvicorn re-raises the signal it caught into the handler it found once it has stopped; with
    this one in place that is a no-op instead of a death that would skip the flush."""

    def request_exit(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, request_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
