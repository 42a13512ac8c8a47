"""What the ``api`` and ``serve`` commands share: opening the services, serving until a signal."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

import structlog
import uvicorn
from starlette.applications import Starlette

from pulse.alerts.errors import RulesTopicMissingError
from pulse.alerts.history_route import history_route
from pulse.alerts.rule_book import RuleBook
from pulse.dashboards.book import DashboardBook
from pulse.dashboards.errors import DashboardsTopicMissingError
from pulse.families.registry import DERIVATIONS
from pulse.graphql.access_log import redact_access_log
from pulse.graphql.app import create_app
from pulse.graphql.audit import AuditLog
from pulse.graphql.health import kafka_check
from pulse.graphql.recalc_route import recalc_route
from pulse.privacy.policy import policy_of
from pulse.privacy.routes import PrivacyServices, privacy_routes
from pulse.privacy.windows import RetentionPolicy
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.realtime import RealtimeCache
from pulse.topics.tenants import TenantDirectory

log = structlog.get_logger(__name__)

TENANTS_CATCH_UP_SECONDS = 60.0


def open_realtime(settings: Settings) -> RealtimeCache:
    return RealtimeCache(settings.redis.url, settings.redis.realtime_ttl_seconds)


def open_tenants(settings: Settings) -> TenantDirectory:
    """The tenants' settings, followed in a thread; caught up before any query is answered, so
    no tenant is bucketed in UTC for a moment after a start. The caller closes it."""
    tenants = TenantDirectory.from_settings(settings)
    try:
        tenants.start()
        tenants.wait_until_caught_up(TENANTS_CATCH_UP_SECONDS)
    except BaseException:
        tenants.close()
        raise
    return tenants


def open_alert_rules(settings: Settings) -> RuleBook | None:
    """The alert rules and destinations, followed in threads and caught up, for the rule
    fields and mutations; the caller closes it. None without the alert topics: analytics
    must not stop for want of alerts, so the rule fields answer UNAVAILABLE instead."""
    try:
        return RuleBook.open(settings, follow=True)
    except RulesTopicMissingError as exc:
        log.warning("alert_rules_not_served", topic=exc.fields.get("topic"), reason=exc.message)
        return None


def open_dashboards(settings: Settings) -> DashboardBook | None:
    """The dashboards, followed in a thread and caught up; the caller closes it. None without
    the ``dashboards`` topic: the dashboard fields answer UNAVAILABLE, the figures still serve."""
    try:
        return DashboardBook.open(settings)
    except DashboardsTopicMissingError as exc:
        log.warning("dashboards_not_served", topic=exc.fields.get("topic"), reason=exc.message)
        return None


@dataclass(frozen=True)
class Backing:
    """The services both ``api`` and ``serve`` open before serving and close after."""

    tenants: TenantDirectory
    alert_rules: RuleBook | None
    dashboards: DashboardBook | None
    clickhouse: ClickHouse
    realtime: RealtimeCache


@contextmanager
def backing(settings: Settings) -> Iterator[Backing]:
    """The backing services, open inside the ``with`` and closed after it."""
    tenants = open_tenants(settings)
    alert_rules = open_alert_rules(settings)
    dashboards = open_dashboards(settings)
    clickhouse = connect(settings.clickhouse)
    realtime = open_realtime(settings)
    try:
        yield Backing(tenants, alert_rules, dashboards, clickhouse, realtime)
    finally:
        realtime.close()
        clickhouse.close()
        if alert_rules is not None:
            alert_rules.close()
        if dashboards is not None:
            dashboards.close()
        tenants.close()


def open_audit(settings: Settings, clickhouse: ClickHouse) -> AuditLog:
    """The audit log writer, started; the caller closes it (a last flush) before ClickHouse."""
    audit = AuditLog(clickhouse, settings.api)
    audit.start()
    return audit


def build_app(settings: Settings, opened: Backing, audit: AuditLog) -> Starlette:
    clickhouse, realtime, tenants = opened.clickhouse, opened.realtime, opened.tenants
    checks = kafka_check(settings.kafka.bootstrap_servers)
    api = settings.api
    policy = retention_policy(settings, tenants)
    recalc = recalc_route(clickhouse, DERIVATIONS, api.jwt_secret, api.jwt_algorithm, policy)
    privacy = privacy_routes(PrivacyServices(settings, clickhouse, realtime, policy, time.time))
    history = history_route(clickhouse, api.jwt_secret, api.jwt_algorithm)
    return create_app(
        settings,
        clickhouse,
        realtime,
        checks,
        tenants,
        admin_routes=[recalc, *privacy, history],
        alert_rules=opened.alert_rules,
        audit=audit,
        dashboards=opened.dashboards,
    )


def retention_policy(settings: Settings, tenants: TenantDirectory) -> Callable[[], RetentionPolicy]:
    """The retention policy as the tenants' settings stand when it is asked for."""
    return lambda: policy_of(settings.privacy, tenants.snapshot())


def server(
    settings: Settings, app: Starlette, host: str | None, port: int | None
) -> uvicorn.Server:
    """A uvicorn server for ``app``; logs go through the process's logging set-up, the access
    log with any ``token=`` of a query string redacted (``access_log.py``)."""
    redact_access_log()
    config = uvicorn.Config(
        app,
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_config=None,
        lifespan="off",
    )
    return uvicorn.Server(config)


def run_server(api: uvicorn.Server) -> None:
    """Serves until SIGINT/SIGTERM or ``api.should_exit``; either signal is a clean stop.

    uvicorn handles both signals while it runs, then re-raises the one it caught into the
    handler it found; with this one in place that is a no-op, instead of an abrupt death
    (SIGTERM) or a KeyboardInterrupt (SIGINT) that would skip the caller's clean-up.
    """

    def request_exit(signum: int, frame: FrameType | None) -> None:
        api.should_exit = True

    previous = {sig: signal.signal(sig, request_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        api.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
