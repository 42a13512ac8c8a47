"""The collector's ASGI app: ``POST /v1/events`` and ``/v1/events/bulk``, their CORS
preflights, ``/health`` and ``/metrics``.

A request goes: key → body (size, gzip, JSON) → rate limit (one token per event) → each event
judged → accepted events and the letters of the rejected ones queued → once Kafka placed the
letters, their ``dead_letters`` rows handed off → answered once Kafka acknowledged them all.
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
from pulse.collector.letters import CollectorLetters, PendingLetter
from pulse.collector.publisher import Delivery, Publisher, too_large
from pulse.collector.verdicts import Accepted, Judge, Rejected, Verdict
from pulse.metrics import COLLECTOR_EVENTS, COLLECTOR_REQUESTS, exposition
from pulse.rate_limit import RateLimiter
from pulse.settings import CollectorSettings
from pulse.streams.handoff import json_chunks

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Collector:
    """What the app needs, opened and closed by its caller."""

    settings: CollectorSettings
    keys: KeyLookup
    judge: Judge
    publisher: Publisher
    limiter: RateLimiter
    letters: CollectorLetters
    # The hand-off topic, where the letters' dead_letters rows go.
    rows_topic: str
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
    verdicts = await _publish(collector, verdicts, events, key)
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


async def _publish(
    collector: Collector, verdicts: list[Verdict], events: list[Any], key: ApiKey
) -> list[Verdict]:
    """Queues the accepted events and the letters of the rejected ones, waits for Kafka's
    acknowledgement, then hands off the letters' rows and waits again; an event the client
    refuses as too large becomes a rejection."""
    now_ms = int(time.time() * 1000)
    out: list[Verdict] = []
    letters: list[PendingLetter] = []
    delivery = Delivery(asyncio.get_running_loop())
    try:
        for verdict, event in zip(verdicts, events, strict=True):
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
            if isinstance(verdict, Rejected):
                letters.append(_send_letter(collector, delivery, verdict, event, key, now_ms))
            out.append(verdict)
    except (KafkaException, BufferError) as exc:
        raise _unavailable("kafka_unavailable", f"Kafka refused the events: {exc}") from exc
    finally:
        delivery.seal()
    await _acknowledged(collector, delivery)
    if letters:
        await _hand_off_rows(collector, letters)
    return out


def _send_letter(
    collector: Collector,
    delivery: Delivery,
    rejected: Rejected,
    event: Any,
    key: ApiKey,
    now_ms: int,
) -> PendingLetter:
    pending = collector.letters.letter(rejected, event, key, now_ms)
    letter = pending.letter
    collector.publisher.send(
        delivery,
        pending.topic,
        letter.stored_key(),
        letter.stored_value(),
        pending.headers(),
        on_ack=pending.place,
    )
    return pending


async def _hand_off_rows(collector: Collector, letters: list[PendingLetter]) -> None:
    """The letters' ``dead_letters`` rows to the hand-off topic, as the worker sends them."""
    delivery = Delivery(asyncio.get_running_loop())
    try:
        for chunk, count in json_chunks([pending.row() for pending in letters]):
            collector.publisher.send(
                delivery,
                collector.rows_topic,
                b"dead_letters",
                chunk,
                [("rows", str(count).encode())],
            )
    except (KafkaException, BufferError) as exc:
        raise _unavailable("kafka_unavailable", f"Kafka refused the dead letters: {exc}") from exc
    finally:
        delivery.seal()
    await _acknowledged(collector, delivery)


async def _acknowledged(collector: Collector, delivery: Delivery) -> None:
    try:
        error = await asyncio.wait_for(
            asyncio.shield(delivery.done), collector.settings.ack_timeout_seconds
        )
    except TimeoutError as exc:
        raise _unavailable("kafka_timeout", "Kafka did not acknowledge the events in time") from exc
    if error is not None:
        raise _unavailable("kafka_unavailable", f"Kafka did not acknowledge the events: {error}")


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
