"""What every resolver gets in ``info.context``: the caller's verified identity and the services."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pulse.alerts.rule_book import RuleBook
from pulse.dashboards.book import DashboardBook
from pulse.dashboards.embed_tokens import EmbedIssuer
from pulse.families.helpdesk.reads import HelpdeskReads
from pulse.graphql.audit import AuditSink
from pulse.graphql.auth import Claims
from pulse.graphql.errors import UnauthenticatedError
from pulse.graphql.live import LiveFeed
from pulse.graphql.queries import Reader
from pulse.graphql.query_rate import TenantRates
from pulse.graphql.realtime import RealtimeReader
from pulse.settings import ApiSettings
from pulse.topics.tenants import TenantSettings


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class TenantLookup(Protocol):
    """A tenant's current settings (zone, SLA targets): ``TenantDirectory`` following the
    tenants topic in ``pulse serve``/``pulse api``, a dict in tests."""

    def settings_for(self, tenant_id: str) -> TenantSettings: ...


class DefaultTenants:
    """Every tenant at the defaults (UTC, METRICS.md's SLA targets), as if none was configured."""

    def settings_for(self, tenant_id: str) -> TenantSettings:
        return TenantSettings()


@dataclass(frozen=True)
class QueryLimits:
    """What one operation may ask and take (``limits.py``): PULSE_API_MAX_DEPTH, _MAX_ALIASES,
    _MAX_TOKENS, _MAX_COST and _OPERATION_TIMEOUT_SECONDS."""

    max_depth: int
    max_aliases: int
    max_tokens: int
    max_cost: int
    operation_timeout_seconds: float

    @classmethod
    def of(cls, api: ApiSettings) -> QueryLimits:
        return cls(
            api.max_depth,
            api.max_aliases,
            api.max_tokens,
            api.max_cost,
            api.operation_timeout_seconds,
        )


@dataclass(frozen=True)
class Services:
    """Shared by all requests of one app."""

    clickhouse: Reader
    realtime: RealtimeReader
    tenants: TenantLookup
    max_buckets: int
    now_ms: Callable[[], int] = field(default=_now_ms)
    helpdesk: HelpdeskReads = field(default_factory=HelpdeskReads)
    # The alert rules and the tenants' destinations; None: the API serves no alert rules.
    alert_rules: RuleBook | None = None
    # Where each operation's audit record goes; None: operations are not audited.
    audit: AuditSink | None = None
    # The most rows one export writes (PULSE_API_EXPORT_ROW_LIMIT); a tenant's own is lower.
    export_row_limit: int = 1_000_000
    # The sink's touches, for subscriptions; None: the API serves no live subscriptions.
    live: LiveFeed | None = None
    # How long after a bucket's end late events are expected (pulse.families.freshness).
    late_window_ms: int = 3_600_000
    # The tenants' dashboards; None: the API serves no dashboards.
    dashboards: DashboardBook | None = None
    # Signs embed tokens (one dashboard, read-only); None: the API mints none.
    embed: EmbedIssuer | None = None
    limits: QueryLimits = field(default_factory=lambda: QueryLimits.of(ApiSettings()))
    # The tenants' request rates; None: requests are not rate limited.
    rates: TenantRates | None = None


@dataclass
class ApiContext:
    """One request's context; ``auth`` is the verified claims or why the token was refused."""

    services: Services
    auth: Claims | UnauthenticatedError
    request: Any = None
    response: Any = None
    # A WebSocket's connection_init payload, which carries its bearer token.
    connection_params: dict[str, object] | None = None
    # The newest stored event time by tenant, read at most once per request.
    freshness: dict[str, asyncio.Future[int | None]] = field(default_factory=dict)
    # The dashboard whose widget query this execution answers (an embed token's licence to run
    # it); None for a request's own operation.
    widget_of: str | None = None
    # Which of its widgets (the audit log tallies a live dashboard's widget runs by it).
    widget_id: str | None = None
    # Whether this request took its rate limit token (a dashboard's widgets share it).
    rate_taken: bool = False

    @property
    def claims(self) -> Claims:
        if isinstance(self.auth, UnauthenticatedError):
            raise self.auth
        return self.auth
