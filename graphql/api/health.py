"""``GET /health``: is each service this process depends on reachable right now?

Each check is a blocking call with a short timeout; they run side by side in the thread pool. A
check that raises is down, with the exception as its reason. 200 when all are up, else 503.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka.admin import AdminClient
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from pulse.graphql.queries import Reader
from pulse.graphql.realtime import RealtimeStore

Check = Callable[[], Mapping[str, Any]]

KAFKA_TIMEOUT_SECONDS = 2.0


def kafka_check(bootstrap_servers: str, timeout: float = KAFKA_TIMEOUT_SECONDS) -> Check:
    """Lists the cluster's topics through an admin client; its broker count is the detail."""
    # librdkafka would print every failed reconnect to stderr; the report carries the reason.
    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})

    def check() -> Mapping[str, Any]:
        metadata = admin.list_topics(timeout=timeout)
        return {"brokers": len(metadata.brokers)}

    return check


def clickhouse_check(db: Reader) -> Check:
    def check() -> Mapping[str, Any]:
        rows = db.query("SELECT 1 AS ok")
        if not rows or int(rows[0]["ok"]) != 1:
            raise RuntimeError(f"SELECT 1 returned {rows!r}")
        return {}

    return check


def redis_check(store: RealtimeStore) -> Check:
    def check() -> Mapping[str, Any]:
        if not store.ping():
            raise RuntimeError("PING was not answered")
        return {}

    return check


def run_check(check: Check) -> dict[str, Any]:
    """One service's status: ``{"status": "up", …detail}`` or ``{"status": "down", "reason"}``."""
    try:
        detail = check()
    except Exception as exc:  # noqa: BLE001 — any failure of a probe means "down", with its reason
        return {"status": "down", "reason": f"{type(exc).__name__}: {exc}"}
    return {"status": "up", **detail}


def health_endpoint(checks: Mapping[str, Check]) -> Callable[[Request], Any]:
    """The Starlette endpoint running ``checks`` (name → check) on every call."""

    async def health(_: Request) -> JSONResponse:
        statuses = await asyncio.gather(*(run_in_threadpool(run_check, c) for c in checks.values()))
        report = dict(zip(checks, statuses, strict=True))
        healthy = all(r["status"] == "up" for r in report.values())
        body = {"status": "ok" if healthy else "degraded", **report}
        return JSONResponse(body, status_code=200 if healthy else 503)

    return health
