"""``POST /admin/recalc``: ``pulse recalc`` run by the process that owns the ClickHouse.

An embedded chdb directory can be open in one process only, so while ``pulse serve`` runs,
``pulse recalc`` cannot open it and asks the serving process instead. The body is the request
(:func:`pulse.families.recalc_wire.request_to_json`); the answer streams one NDJSON event per
chunk and per family, exactly as a recalculation in the caller's process would report them, and
a last ``{"event": "error", …}`` line if it failed part-way. The token must grant
``admin:recalc`` (:mod:`pulse.graphql.admin_auth`).

The work runs in Starlette's thread pool, one chunk per step of the response, beside the sink
thread: the embedded client serialises their statements, and a refresh writes absolute rows
versioned by its read, so interleaving it with the sink's own refreshes cannot double count.
A client that goes away stops the work at the next chunk boundary, with every chunk done so
far complete.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from pulse.errors import PulseError
from pulse.families.derivation import Derivation
from pulse.families.recalc import BadRecalcRequestError, FamilyDone, RecalcRequest, choose, recalc
from pulse.families.recalc_wire import error_line, event_line, request_from_json
from pulse.graphql.admin_auth import RECALC_SCOPE, verify_admin_header
from pulse.graphql.errors import ApiError, ForbiddenError
from pulse.privacy.recalc_floor import within_raw_retention
from pulse.privacy.windows import RetentionPolicy
from pulse.sinks.clickhouse import ClickHouse

log = structlog.get_logger(__name__)

PATH = "/admin/recalc"
NDJSON = "application/x-ndjson"


def recalc_route(
    clickhouse: ClickHouse,
    derivations: Sequence[Derivation],
    secret: str,
    algorithm: str,
    policy: Callable[[], RetentionPolicy] | None = None,
) -> Route:
    """The route over the process's own ClickHouse and its registered derivations; with a
    retention ``policy``, a range is narrowed to what raw retention still holds (``pulse
    recalc`` narrows it first and says so)."""

    async def endpoint(request: Request) -> Response:
        try:
            verify_admin_header(
                request.headers.get("authorization"), secret, RECALC_SCOPE, algorithm
            )
        except ApiError as refused:
            status = 403 if isinstance(refused, ForbiddenError) else 401
            return JSONResponse(refused.as_dict(), status_code=status)
        try:
            wanted = request_from_json(json.loads(await request.body()))
            wanted.check()
            choose(derivations, wanted.families)
            if policy is not None:
                wanted, _ = within_raw_retention(wanted, policy(), int(time.time() * 1000))
        except ValueError:
            return JSONResponse({"code": "bad_recalc_request", "message": "not JSON"}, 400)
        except BadRecalcRequestError as bad:
            return JSONResponse(bad.as_dict(), status_code=400)
        return StreamingResponse(_lines(clickhouse, derivations, wanted), media_type=NDJSON)

    return Route(PATH, endpoint, methods=["POST"])


def _lines(
    clickhouse: ClickHouse, derivations: Sequence[Derivation], wanted: RecalcRequest
) -> Iterator[bytes]:
    bound = log.bind(tenant_id=wanted.tenant_id, verify=wanted.verify)
    bound.info("recalc started", from_ms=wanted.from_ms, to_ms=wanted.to_ms)
    try:
        for event in recalc(clickhouse, derivations, wanted):
            if isinstance(event, FamilyDone):
                bound.info("recalc family done", family=event.family, keys=event.keys)
            yield event_line(event)
    except PulseError as failed:
        bound.exception("recalc failed")
        yield error_line(failed)
