"""``POST /admin/alerts/history`` (scope ``admin:alerts``): the history, read by the process that
owns the embedded ClickHouse for ``pulse alerts history`` (as ``pulse privacy`` asks
``pulse serve``, ``privacy/routes.py``).

Body: ``{"tenant_id", "rule_id"?, "from_ms"?, "limit"}``; answer: ``{"entries": [...]}``
(``history_wire.py``). The tenant comes from the body: the admin scope, not a tenant's token,
grants it.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pulse.alerts.history import MAX_LIMIT, HistoryQuery, alert_history
from pulse.alerts.history_wire import entry_to_json
from pulse.graphql.admin_auth import verify_admin_header
from pulse.graphql.errors import ApiError, ForbiddenError
from pulse.graphql.queries import Reader

PATH = "/admin/alerts/history"
SCOPE = "admin:alerts"


def history_route(clickhouse: Reader, secret: str, algorithm: str) -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            verify_admin_header(request.headers.get("authorization"), secret, SCOPE, algorithm)
        except ApiError as refused:
            status = 403 if isinstance(refused, ForbiddenError) else 401
            return JSONResponse(refused.as_dict(), status_code=status)
        try:
            question = _question(json.loads(await request.body()))
        except (ValueError, TypeError) as bad:
            return JSONResponse({"code": "bad_history_request", "message": str(bad)}, 400)
        entries = await run_in_threadpool(alert_history, clickhouse, question)
        return JSONResponse({"entries": [entry_to_json(e) for e in entries]})

    return Route(PATH, endpoint, methods=["POST"])


def _question(body: Any) -> HistoryQuery:
    if not isinstance(body, dict):
        raise ValueError("the request body is not a JSON object")
    tenant, rule, since, limit = (
        body.get("tenant_id"),
        body.get("rule_id"),
        body.get("from_ms"),
        body.get("limit", 100),
    )
    if not isinstance(tenant, str) or not tenant:
        raise ValueError("tenant_id must be a non-empty string")
    if rule is not None and not isinstance(rule, str):
        raise ValueError("rule_id must be a string")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
        raise ValueError("from_ms must be an integer")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return HistoryQuery(tenant_id=tenant, rule_id=rule, from_ms=since, limit=limit)
