"""The alert history in GraphQL: ``alertHistory``, each firing or resolution with the rule as it
was and its delivery attempts (``history.py``), scoped to the token's tenant.

An explicit other ``tenantId`` is FORBIDDEN; another tenant's rule id finds no entry, as an
unknown one does. ClickHouse reads run in the thread pool.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from pulse.alerts import history
from pulse.alerts.rules_graphql_types import AlertRuleView, view
from pulse.families.questions import TenantId
from pulse.graphql.auth import scoped_tenant
from pulse.graphql.context import ApiContext
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.permissions import CanViewInScope, may_see


@strawberry.enum(description="A firing or a resolution (the notification's type).")
class AlertEventKind(Enum):
    TRIGGERED = history.TRIGGERED
    RESOLVED = history.RESOLVED


@strawberry.enum(description="An episode is firing until a resolution is stored.")
class AlertEpisodeStatus(Enum):
    FIRING = "firing"
    RESOLVED = "resolved"


@strawberry.type
class AlertDelivery:
    """One attempt to deliver the notification to one destination (never its secrets)."""

    destination_id: str
    destination_kind: str = strawberry.field(description="webhook, email or chat.")
    attempt: int = strawberry.field(description="Restarts at 1 after a deliverer restart.")
    outcome: str = strawberry.field(
        description="delivered, retry, rate_limited, disabled, dead_lettered, refused, skipped."
    )
    status_code: int = strawberry.field(description="HTTP status; 250 for an e-mail; 0: none.")
    error: str
    duration_ms: int
    attempted_at: datetime


@strawberry.type
class AlertHistoryEntry:
    id: strawberry.ID = strawberry.field(description="The notification id (webhook-id).")
    rule_id: str
    kind: AlertEventKind
    status: AlertEpisodeStatus = strawberry.field(description="The status of its episode.")
    episode_start: datetime
    occurred_at: datetime
    value: float | None = strawberry.field(description="The metric's value over the window.")
    threshold: float | None
    window_start: datetime
    window_end: datetime = strawberry.field(description="Exclusive.")
    published: bool = strawberry.field(
        description="Whether the notification was published (false: the evaluator will)."
    )
    rule: AlertRuleView | None = strawberry.field(
        description="The rule as it was when this happened (its lastFiredAt is null)."
    )
    deliveries: list[AlertDelivery] = strawberry.field(description="Oldest first.")


async def alert_history(
    info: Info[ApiContext, None],
    rule_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this rule.")
    ] = None,
    from_: Annotated[
        datetime | None, strawberry.argument(name="from", description="Inclusive.")
    ] = None,
    to: Annotated[datetime | None, strawberry.argument(description="Exclusive.")] = None,
    kind: Annotated[
        AlertEventKind | None, strawberry.argument(description="Only this kind.")
    ] = None,
    status: Annotated[
        AlertEpisodeStatus | None,
        strawberry.argument(description="Only episodes still firing, or resolved ones."),
    ] = None,
    limit: Annotated[
        int, strawberry.argument(description=f"At most this many (1 to {history.MAX_LIMIT}).")
    ] = 100,
    tenant_id: TenantId = None,
) -> list[AlertHistoryEntry]:
    tenant = scoped_tenant(info.context.claims, tenant_id)
    if not 1 <= limit <= history.MAX_LIMIT:
        raise InvalidArgumentError(
            f"'limit' must be between 1 and {history.MAX_LIMIT}.",
            suggestion="The history is newest first: page back with 'to'.",
            argument="limit",
        )
    question = history.HistoryQuery(
        tenant_id=tenant,
        rule_id=None if rule_id is None else str(rule_id),
        from_ms=None if from_ is None else _ms(from_),
        to_ms=None if to is None else _ms(to),
        kind=None if kind is None else kind.value,
        status=None if status is None else status.value,
        limit=limit,
    )
    db = info.context.services.clickhouse
    entries = await run_in_threadpool(history.alert_history, db, question)
    # A token scoped to org units sees the episodes of the rules it may see, as alertRules does.
    claims = info.context.claims
    return [
        _entry(e)
        for e in entries
        if may_see(claims, None if e.rule is None else e.rule.filter.org_unit)
    ]


def _ms(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp() * 1000)


def _instant(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _entry(e: history.HistoryEntry) -> AlertHistoryEntry:
    return AlertHistoryEntry(
        id=strawberry.ID(e.notification_id),
        rule_id=e.rule_id,
        kind=AlertEventKind(e.kind),
        status=AlertEpisodeStatus(e.status),
        episode_start=_instant(e.episode_start_ms),
        occurred_at=_instant(e.occurred_at_ms),
        value=e.value,
        threshold=e.threshold,
        window_start=_instant(e.window_start_ms),
        window_end=_instant(e.window_end_ms),
        published=e.published,
        rule=None if e.rule is None else view(e.rule),
        deliveries=[
            AlertDelivery(
                destination_id=d.destination_id,
                destination_kind=d.destination_kind,
                attempt=d.attempt,
                outcome=d.outcome,
                status_code=d.status_code,
                error=d.error,
                duration_ms=d.duration_ms,
                attempted_at=_instant(d.attempted_at_ms),
            )
            for d in e.deliveries
        ],
    )


@strawberry.type
class AlertHistoryQueries:
    alert_history: list[AlertHistoryEntry] = strawberry.field(
        resolver=alert_history,
        permission_classes=[CanViewInScope],
        description=(
            "The tenant's alert firings and resolutions, newest first, each with the rule as it"
            " was and its delivery attempts."
        ),
    )
