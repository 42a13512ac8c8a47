"""The collector's ASGI app: ``POST /v1/events`` and ``/v1/events/bulk``, their CORS
preflights, ``/health`` and ``/metrics``.

A request goes: key → body (size, gzip, JSON) → rate limit (one token per event) → each event
judged → accepted events and dead letters queued → answered once Kafka acknowledged them all.
Answers (README, "Sending events over HTTP"): 200 every event accepted; 207 (bulk) or 422
(single) with each event's fate when any was rejected; 400 unreadable body; 401 key missing,
unknown or revoked; 403 site key from another origin; 413 over the body or bulk limit;
429 with ``Retry-After`` over the rate; 503 when Redis or Kafka cannot do their part.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import redis.exceptions
import structlog
from confluent_kafka import KafkaException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pulse.collector.auth import KeyLookup, authenticate, cors_headers, preflight_headers
from pulse.collector.body import bulk_events, parse_json, read_body
from pulse.collector.client_ip import Network, client_ip
from pulse.collector.errors import KeyStoreError, RequestRefusedError
from pulse.collector.keys import ApiKey
from pulse.collector.publisher import Delivery, Publisher, too_large
from pulse.collector.rate_limit import RateLimiter
from pulse.collector.verdicts import Accepted, Judge, Rejected, Verdict
from pulse.metrics import COLLECTOR_EVENTS, COLLECTOR_REQUESTS, DEAD_LETTERS, exposition
from pulse.settings import CollectorSettings
from pulse.streams.deadletter import DeadLetter
from pulse.streams.source import SourceRecord

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Collector:
    """What the app needs, opened and closed by its caller."""

    settings: CollectorSettings
    keys: KeyLookup
    judge: Judge
    publisher: Publisher
    limiter: RateLimiter
    proxies: tuple[Network, ...] = ()


def create_app(collector: Collector) -> Starlette:
    async def single(request: Request) -> Response:
        return await _answer(collector, request, bulk=False)

    async def bulk(request: Request) -> Response:
        return await _answer(collector, request, bulk=True)

    async def preflight(request: Request) -> Response:
        headers = preflight_headers(request, collector.keys)
        return Response(status_code=403 if headers is None else 204, headers=headers)

    return Starlette(
        routes=[
            Route("/v1/events", single, methods=["POST"]),
            Route("/v1/events/bulk", bulk, methods=["POST"]),
            Route("/v1/events", preflight, methods=["OPTIONS"]),
            Route("/v1/events/bulk", preflight, methods=["OPTIONS"]),
            Route("/health", _health(collector.limiter), methods=["GET"]),
            Route("/metrics", _metrics, methods=["GET"]),
        ]
    )


async def _answer(collector: Collector, request: Request, bulk: bool) -> Response:
    cors: dict[str, str] = {}
    try:
        try:
            key = authenticate(request, collector.keys)
        except KeyStoreError as exc:
            raise _unavailable("keys_unavailable", "the API keys cannot be read") from exc
        cors = cors_headers(request, key)
        response = await _collect(collector, request, key, bulk)
        response.headers.update(cors)
    except RequestRefusedError as refused:
        response = JSONResponse(
            {"error": refused.reason, "message": refused.message},
            status_code=refused.status,
            headers={**cors, **refused.headers},
        )
    COLLECTOR_REQUESTS.labels(str(response.status_code)).inc()
    return response


async def _collect(collector: Collector, request: Request, key: ApiKey, bulk: bool) -> Response:
    settings = collector.settings
    value = parse_json(await read_body(request, settings.max_body_bytes))
    events = bulk_events(value, settings.max_bulk_events) if bulk else [value]
    await _take_tokens(collector.limiter, key, len(events))
    peer = request.client.host if request.client else None
    ip = client_ip(peer, request.headers.get("x-forwarded-for"), collector.proxies)
    verdicts = [collector.judge.judge(i, event, key, ip) for i, event in enumerate(events)]
    verdicts = await _publish(collector, verdicts, key)
    rejected = sum(isinstance(v, Rejected) for v in verdicts)
    COLLECTOR_EVENTS.labels("accepted").inc(len(verdicts) - rejected)
    COLLECTOR_EVENTS.labels("rejected").inc(rejected)
    body = {
        "accepted": len(verdicts) - rejected,
        "rejected": rejected,
        "results": [_fate(v) for v in verdicts],
    }
    status = 200 if not rejected else (207 if bulk else 422)
    return JSONResponse(body, status_code=status)


async def _take_tokens(limiter: RateLimiter, key: ApiKey, cost: int) -> None:
    try:
        decision = await limiter.take(key.key_id, cost)
    except redis.exceptions.RedisError as exc:
        # Without its limits the collector would let one tenant starve the others: an outage
        # refuses (clients retry) rather than accepting unlimited.
        log.error("rate_limit_unavailable", tenant_id=key.tenant_id, error=str(exc))
        raise _unavailable("rate_limit_unavailable", "the rate limiter cannot be reached") from exc
    if not decision.allowed:
        raise RequestRefusedError(
            429, "rate_limited", f"over this key's rate; retry in {decision.retry_after_ms} ms"
        ).with_headers({"Retry-After": str(decision.retry_after_seconds)})


def _unavailable(reason: str, message: str) -> RequestRefusedError:
    return RequestRefusedError(503, reason, message).with_headers({"Retry-After": "1"})


async def _publish(collector: Collector, verdicts: list[Verdict], key: ApiKey) -> list[Verdict]:
    """Queues the accepted events and the dead letters, and waits for Kafka's acknowledgement;
    an event the client refuses as too large becomes a rejection."""
    delivery = Delivery(asyncio.get_running_loop())
    now_ms = int(time.time() * 1000)
    out: list[Verdict] = []
    try:
        for verdict in verdicts:
            if isinstance(verdict, Accepted):
                try:
                    collector.publisher.send(delivery, verdict.topic, verdict.key, verdict.value)
                except KafkaException as exc:
                    if not too_large(exc):
                        raise
                    verdict = Rejected(
                        verdict.index,
                        verdict.event_id,
                        "too_large",
                        "",
                        "too_large",
                        "the encoded event is over Kafka's message size",
                    )
            elif verdict.dead_letter_topic is not None:
                _send_letter(collector.publisher, delivery, verdict, key, now_ms)
            out.append(verdict)
    except (KafkaException, BufferError) as exc:
        raise _unavailable("kafka_unavailable", f"Kafka refused the events: {exc}") from exc
    finally:
        delivery.seal()
    try:
        error = await asyncio.wait_for(
            asyncio.shield(delivery.done), collector.settings.ack_timeout_seconds
        )
    except TimeoutError as exc:
        raise _unavailable("kafka_timeout", "Kafka did not acknowledge the events in time") from exc
    if error is not None:
        raise _unavailable("kafka_unavailable", f"Kafka did not acknowledge the events: {error}")
    return out


def _send_letter(
    publisher: Publisher, delivery: Delivery, rejected: Rejected, key: ApiKey, now_ms: int
) -> None:
    """A rejected-for-its-tenant event to its topic's twin, as the worker writes letters; it
    was never in the source topic, so its source partition and offset are -1."""
    source_topic = str(rejected.dead_letter_topic).removesuffix(".dlq")
    letter = DeadLetter(
        source=SourceRecord(source_topic, -1, -1, now_ms),
        key=rejected.key,
        value=rejected.payload,
        code=rejected.code,
        field=rejected.field,
        reason=rejected.detail,
        tenant_id=rejected.tenant_id,
    )
    publisher.send(
        delivery, letter.topic, letter.stored_key(), letter.stored_value(), letter.headers()
    )
    DEAD_LETTERS.labels(source_topic, rejected.code).inc()
    log.warning(
        "dead_letter",
        topic=source_topic,
        tenant_id=rejected.tenant_id,
        key_tenant_id=key.tenant_id,
        key_id=key.key_id,
        code=rejected.code,
        field=rejected.field,
    )


def _fate(verdict: Verdict) -> dict[str, Any]:
    if isinstance(verdict, Rejected):
        return verdict.answer()
    return {"index": verdict.index, "event_id": verdict.event_id, "status": "accepted"}


def _health(limiter: RateLimiter) -> Any:
    async def health(_: Request) -> JSONResponse:
        try:
            await limiter.ping()
        except redis.exceptions.RedisError as exc:
            return JSONResponse({"status": "degraded", "redis": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok"})

    return health


async def _metrics(_: Request) -> Response:
    body, content_type = exposition()
    return Response(body, media_type=content_type)
