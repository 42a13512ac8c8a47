"""The ASGI application: ``/graphql`` (POST, and GET for queries and GraphiQL; a WebSocket for
subscriptions, graphql-transport-ws), ``/health`` and ``/metrics`` (Prometheus; like
``/health``, without a token), and the dashboard page ``/dashboards/{id}`` (static: its script
brings the token to ``/graphql``)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState
from strawberry import Schema
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from pulse.alerts.rule_book import RuleBook
from pulse.dashboards.book import DashboardBook
from pulse.dashboards.embed_tokens import EmbedIssuer
from pulse.dashboards.page_route import page_routes
from pulse.families.helpdesk.reads import helpdesk_reads
from pulse.graphql.audit import AuditSink
from pulse.graphql.auth import Claims, verify_header
from pulse.graphql.context import ApiContext, DefaultTenants, QueryLimits, Services, TenantLookup
from pulse.graphql.errors import UnauthenticatedError
from pulse.graphql.export_route import export_endpoint
from pulse.graphql.health import Check, clickhouse_check, health_endpoint, redis_check
from pulse.graphql.live import LiveFeed
from pulse.graphql.queries import Reader
from pulse.graphql.query_rate import TenantRates
from pulse.graphql.realtime import RealtimeReader, RealtimeStore
from pulse.graphql.schema import build_schema
from pulse.graphql.timeouts import TimedReader
from pulse.metrics import exposition
from pulse.settings import Settings


class _GraphQL(GraphQL[ApiContext, None]):
    """Strawberry's ASGI view, verifying the bearer token once per request."""

    def __init__(self, services: Services, schema: Schema, secret: str, algorithm: str) -> None:
        super().__init__(schema)
        self._services = services
        self._secret = secret
        self._algorithm = algorithm

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> ApiContext:
        auth: Any
        try:
            auth = verify_header(
                request.headers.get("authorization"), self._secret, self._algorithm
            )
        except UnauthenticatedError as refused:
            auth = refused
        return ApiContext(services=self._services, auth=auth, request=request, response=response)

    async def on_ws_connect(self, context: ApiContext) -> None:
        """A WebSocket's token comes in its connection_init payload (browsers cannot set
        headers on one), ``{"authorization": "Bearer <jwt>"}``; without a valid one the
        connection is closed (4403) before any subscription starts, and with one it is closed
        (4403) when the token expires."""
        params = context.connection_params or {}
        header = params.get("authorization", params.get("Authorization"))
        try:
            context.auth = verify_header(
                header if isinstance(header, str) else None, self._secret, self._algorithm
            )
        except UnauthenticatedError as refused:
            raise ConnectionRejectionError({"message": refused.message}) from refused
        if isinstance(context.request, WebSocket):
            # The token is checked once, here: its socket must not outlive it.
            expiry = asyncio.create_task(_close_at_expiry(context.request, context.auth))
            context.request.state.expiry = expiry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            expiry = scope.get("state", {}).get("expiry")
            if isinstance(expiry, asyncio.Task):
                expiry.cancel()

    def decode_json(self, data: str | bytes) -> object:
        """The request body's JSON object, else a 400 like any unreadable body. Strawberry lets
        a body that is not UTF-8 (UnicodeDecodeError) or that is a JSON string, number or null
        (``.get`` on it) through as a 500."""
        try:
            decoded = json.loads(data)
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError("the body is not UTF-8", "", 0) from exc
        if not isinstance(decoded, dict | list):
            raise json.JSONDecodeError("the body is not a JSON object", "", 0)
        return decoded


async def _close_at_expiry(socket: WebSocket, claims: Claims) -> None:
    """Closes ``socket`` with 4403, as a refused token at the start, when ``claims`` expire."""
    await asyncio.sleep(max(0.0, claims.expires_at - time.time()))
    if socket.application_state == WebSocketState.CONNECTED:
        await socket.close(code=4403, reason="The bearer token has expired.")


def create_app(
    settings: Settings,
    clickhouse: Reader,
    realtime: RealtimeStore,
    kafka_check: Check,
    tenants: TenantLookup | None = None,
    admin_routes: Sequence[BaseRoute] = (),
    alert_rules: RuleBook | None = None,
    audit: AuditSink | None = None,
    dashboards: DashboardBook | None = None,
) -> Starlette:
    """The API over already-connected services; the caller owns and closes them. Without
    ``tenants`` every tenant has the default settings. ``admin_routes`` (``/admin/…``) check
    their own admin tokens. Without ``audit`` no operation is audited. The API's reads carry
    ClickHouse's time limit; requests are limited per tenant in ``settings.redis.url``."""
    timed = TimedReader(clickhouse, settings.api.clickhouse_timeout_seconds)
    services = Services(
        clickhouse=timed,
        realtime=RealtimeReader(realtime, timed),
        tenants=tenants or DefaultTenants(),
        max_buckets=settings.api.max_buckets,
        alert_rules=alert_rules,
        audit=audit,
        export_row_limit=settings.api.export_row_limit,
        live=LiveFeed(settings.redis.url, settings.kafka.topic_prefix),
        late_window_ms=settings.api.late_window_seconds * 1000,
        dashboards=dashboards,
        embed=EmbedIssuer(
            settings.api.jwt_secret, settings.api.jwt_algorithm, settings.api.embed_max_ttl_seconds
        ),
        limits=QueryLimits.of(settings.api),
        rates=TenantRates.from_settings(settings),
        helpdesk=helpdesk_reads(settings.api, settings.clickhouse.embedded),
    )
    schema = build_schema()
    secret, algorithm = settings.api.jwt_secret, settings.api.jwt_algorithm
    graphql = _GraphQL(services, schema, secret, algorithm)
    export = export_endpoint(services, schema, secret, algorithm)
    checks = {
        "kafka": kafka_check,
        "clickhouse": clickhouse_check(clickhouse),
        "redis": redis_check(realtime),
    }
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/export", export, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health_endpoint(checks), methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *page_routes(settings.api.embed_frame_ancestors),
            *admin_routes,
        ]
    )


async def metrics(_: Request) -> Response:
    body, content_type = exposition()
    return Response(body, media_type=content_type)
