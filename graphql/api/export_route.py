"""``GET``/``POST /export``: a drill-down or a metric answer as CSV or Parquet, streamed page
by page.

Authenticated like ``/graphql`` (``Authorization: Bearer``), refused by the same role and scope
rules as the drill-down field (or the query's fields), and audited like an operation (type
``export``, the kind as its field, the arguments, the rows written, the duration, the outcome).
An export ends at the tenant's row limit (``pulse tenants set --export-row-limit``), never above
``PULSE_API_EXPORT_ROW_LIMIT``; the ``X-Pulse-Row-Limit`` header says the limit, and the audit
record's outcome is ``row_limit`` when rows were left out. An export takes one token of its
tenant's request rate: over it, 429 with ``Retry-After``; Redis unreachable, 503.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from strawberry import Schema

from pulse.graphql.audit import AuditRecord
from pulse.graphql.audit_extension import audit_subject
from pulse.graphql.auth import Claims, verify_header
from pulse.graphql.context import ApiContext, Services
from pulse.graphql.errors import ApiError
from pulse.graphql.export_answer import answer_rows
from pulse.graphql.export_formats import FORMATS, arrow_schema, csv_chunks, parquet_chunks
from pulse.graphql.export_pages import ExportCount, pages, row_groups
from pulse.graphql.export_request import ExportRequest, export_source, parse_request

log = structlog.get_logger(__name__)

PATH = "/export"
# The query-string parameters that carry JSON: a drill-down's arguments, a query's variables.
_JSON_PARAMETERS = {"arguments", "variables"}
_STATUS = {
    "unauthenticated": 401,
    "forbidden": 403,
    "rate_limited": 429,
    "rate_limit_unavailable": 503,
}


def export_endpoint(services: Services, schema: Schema, secret: str, algorithm: str) -> Any:
    """The Starlette endpoint of :data:`PATH`; ``schema`` answers metric queries."""

    async def endpoint(request: Request) -> Response:
        started_ns, at_ms = time.monotonic_ns(), time.time_ns() // 1_000_000
        claims: Claims | None = None
        wanted: ExportRequest | None = None
        written = ExportCount()
        try:
            claims = verify_header(request.headers.get("authorization"), secret, algorithm)
            if services.rates is not None:
                await services.rates.admit(claims.tenant_id)
            wanted = parse_request(await _payload(request))
            context = ApiContext(services=services, auth=claims, request=request)
            tenant = services.tenants.settings_for(claims.tenant_id)
            limit = tenant.export_limit(services.export_row_limit)
            if wanted.query is None:
                source = export_source(context, wanted)
                name, arrow = wanted.kind, arrow_schema(source.columns)
                groups = pages(source, limit, written)
            else:
                answer = await answer_rows(schema, context, wanted.query, wanted.arguments)
                name, arrow = answer.field, answer.schema
                groups = row_groups(answer.rows, limit, written)
        except ApiError as refused:
            log.info("export refused", **refused.as_dict())
            _audit(services, claims, wanted, at_ms, started_ns, 0, refused.code)
            retry = refused.fields.get("retry_after_seconds")
            return JSONResponse(
                {"message": refused.message, "extensions": refused.extensions},
                status_code=_STATUS.get(refused.code, 400),
                headers={"Retry-After": str(retry)} if retry is not None else None,
            )
        body = _audited(
            _chunks(wanted.format, arrow, groups),
            services,
            claims,
            wanted,
            at_ms,
            started_ns,
            written,
        )
        headers = {
            "Content-Disposition": f'attachment; filename="{name}.{wanted.format}"',
            "X-Pulse-Row-Limit": str(limit),
        }
        return StreamingResponse(body, media_type=FORMATS[wanted.format], headers=headers)

    return endpoint


async def _payload(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        given: dict[str, Any] = dict(request.query_params)
        for name in _JSON_PARAMETERS & given.keys():
            # Text that is not JSON stays text, which parse_request refuses as not an object.
            given[name] = _json(given[name], given[name])
        return given
    found = _json(await request.body(), None)
    # parse_request refuses a missing kind with a message naming the field
    return found if isinstance(found, dict) else {"arguments": None}


def _json(text: str | bytes, otherwise: Any) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return otherwise


def _chunks(fmt: str, schema: pa.Schema, groups: Iterator[list[dict[str, Any]]]) -> Iterator[bytes]:
    if fmt == "csv":
        return csv_chunks(tuple(schema.names), groups)
    return parquet_chunks(schema, groups)


def _audited(
    chunks: Iterator[bytes],
    services: Services,
    claims: Claims,
    wanted: ExportRequest,
    at_ms: int,
    started_ns: int,
    written: ExportCount,
) -> Iterator[bytes]:
    """``chunks``, audited once the last is sent (or the stream broke)."""
    outcome = "internal"
    try:
        yield from chunks
        outcome = "row_limit" if written.more else "ok"
    finally:
        _audit(services, claims, wanted, at_ms, started_ns, written.rows, outcome)


def _audit(
    services: Services,
    claims: Claims | None,
    wanted: ExportRequest | None,
    at_ms: int,
    started_ns: int,
    rows: int,
    outcome: str,
) -> None:
    if services.audit is None:
        return
    field = "" if wanted is None else wanted.kind
    services.audit.record(
        AuditRecord(
            at=at_ms,
            tenant_id=claims.tenant_id if claims else "",
            subject=audit_subject(claims) if claims else "",
            roles=sorted(claims.roles) if claims else [],
            org_units=sorted(claims.org_units or ()) if claims else [],
            operation_type="export",
            operation_name="" if wanted is None else wanted.format,
            fields=[field] if field else [],
            arguments=json.dumps(_arguments(wanted), default=str),
            variables="{}",
            rows=rows,
            duration_ms=(time.monotonic_ns() - started_ns) // 1_000_000,
            outcome=outcome,
        )
    )


def _arguments(wanted: ExportRequest | None) -> dict[str, Any]:
    if wanted is None:
        return {}
    if wanted.query is not None:
        return {wanted.kind: {"query": wanted.query, "variables": wanted.arguments}}
    return {wanted.kind: wanted.arguments}
