"""The admin routes of privacy work, served by the process that owns the ClickHouse.

An embedded chdb directory opens in one process only, so while ``pulse serve`` runs, ``pulse
privacy`` and ``pulse retention`` ask it over HTTP (as ``pulse recalc`` does,
``pulse.graphql.recalc_route``). Bodies and answers are JSON; an export streams JSON Lines.

- ``POST /admin/privacy/export``, ``/admin/privacy/erase``, ``/admin/privacy/log``: scope
  ``admin:privacy``;
- ``POST /admin/retention/apply``: scope ``admin:retention``.

The work runs in Starlette's thread pool beside the sink thread; the embedded client serialises
their statements.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from pulse.families.registry import DERIVATIONS, REALTIME
from pulse.graphql.admin_auth import verify_admin_header
from pulse.graphql.errors import ApiError, ForbiddenError
from pulse.privacy import audit, retention
from pulse.privacy.erase import ErasureRequest, erase
from pulse.privacy.errors import BadPrivacyRequestError, PrivacyError
from pulse.privacy.export import export, json_line
from pulse.privacy.subject import Subject
from pulse.privacy.windows import RetentionPolicy
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache

log = structlog.get_logger(__name__)

PRIVACY_SCOPE = "admin:privacy"
RETENTION_SCOPE = "admin:retention"
EXPORT_PATH = "/admin/privacy/export"
ERASE_PATH = "/admin/privacy/erase"
LOG_PATH = "/admin/privacy/log"
RETENTION_PATH = "/admin/retention/apply"
NDJSON = "application/x-ndjson"


@dataclass(frozen=True)
class PrivacyServices:
    """What the routes work on: the process's own ClickHouse, Redis, settings and policy."""

    settings: Settings
    clickhouse: ClickHouse
    realtime: RealtimeCache | None
    policy: Callable[[], RetentionPolicy]
    clock: Callable[[], float]


Handler = Callable[[PrivacyServices, dict[str, Any]], Response]


def privacy_routes(services: PrivacyServices) -> list[Route]:
    return [
        _route(services, EXPORT_PATH, PRIVACY_SCOPE, _export),
        _route(services, ERASE_PATH, PRIVACY_SCOPE, _erase),
        _route(services, LOG_PATH, PRIVACY_SCOPE, _log),
        _route(services, RETENTION_PATH, RETENTION_SCOPE, _retention),
    ]


def _route(services: PrivacyServices, path: str, scope: str, handler: Handler) -> Route:
    api = services.settings.api

    async def endpoint(request: Request) -> Response:
        try:
            verify_admin_header(
                request.headers.get("authorization"), api.jwt_secret, scope, api.jwt_algorithm
            )
        except ApiError as refused:
            status = 403 if isinstance(refused, ForbiddenError) else 401
            return JSONResponse(refused.as_dict(), status_code=status)
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise BadPrivacyRequestError("the request body is not a JSON object")
            response: Response = await run_in_threadpool(handler, services, body)
            return response
        except ValueError:
            return JSONResponse({"code": "bad_privacy_request", "message": "not JSON"}, 400)
        except BadPrivacyRequestError as bad:
            return JSONResponse(bad.as_dict(), status_code=400)
        except PrivacyError as failed:
            log.exception("privacy request failed", path=path)
            return JSONResponse(failed.as_dict(), status_code=500)

    return Route(path, endpoint, methods=["POST"])


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise BadPrivacyRequestError(f"{name} must be a string", field=name)
    return value


def _export(services: PrivacyServices, body: dict[str, Any]) -> Response:
    """Audited here, before the answer starts; the pages are read as the response streams."""
    subject = Subject.from_json(body.get("subject"))
    privacy = services.settings.privacy
    rows = export(
        services.clickhouse,
        subject,
        _text(body, "requested_by"),
        _text(body, "reason", ""),
        privacy.audit_key,
        privacy.export_page_rows,
        int(services.clock() * 1000),
    )
    return StreamingResponse(_lines(rows), media_type=NDJSON)


def _lines(rows: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for row in rows:
        yield json_line(row)


def _erase(services: PrivacyServices, body: dict[str, Any]) -> Response:
    wanted = ErasureRequest(
        Subject.from_json(body.get("subject")),
        _text(body, "requested_by"),
        _text(body, "reason", ""),
    )
    if not wanted.requested_by:
        raise BadPrivacyRequestError("requested_by must not be empty", field="requested_by")
    report = erase(
        services.clickhouse,
        wanted,
        DERIVATIONS,
        REALTIME,
        services.realtime,
        services.settings.privacy.audit_key,
        services.clock,
        services.settings.privacy.erase_settle_seconds,
    )
    return JSONResponse(report.to_json())


def _log(services: PrivacyServices, body: dict[str, Any]) -> Response:
    tenant, limit = body.get("tenant_id"), body.get("limit", 100)
    if not (tenant is None or isinstance(tenant, str)) or not isinstance(limit, int):
        raise BadPrivacyRequestError("expected {tenant_id: str|null, limit: int}")
    found = audit.entries(services.clickhouse, tenant, limit)
    return JSONResponse({"entries": [e.to_json() for e in found]})


def _retention(services: PrivacyServices, body: dict[str, Any]) -> Response:
    dry_run = body.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise BadPrivacyRequestError("dry_run must be true or false", field="dry_run")
    report = retention.apply(
        services.clickhouse,
        services.policy(),
        int(services.clock() * 1000),
        dry_run,
        _text(body, "requested_by"),
    )
    return JSONResponse(report.to_json())
