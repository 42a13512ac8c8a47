"""What a window reader answers, apart from the readers so each can import it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pulse.alerts.rules import RuleFilter
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings


@dataclass(frozen=True)
class Reading:
    # None: the figure is undefined over the window (a rate without a denominator).
    value: float | None
    # How many events the figure rests on; 0 is the "no data" of a rule's no_data policy.
    events: int


class WindowReader(Protocol):
    # True when every figure comes from ``events_raw`` alone: readable as soon as a batch's raw
    # rows are inserted, before the sink's derivations.
    raw_only: bool

    def read(
        self,
        db: ClickHouse,
        tenant_id: str,
        metric: str,
        rule_filter: RuleFilter,
        start_ms: int,
        end_ms: int,
        *,
        tenant: TenantSettings | None = None,
    ) -> Reading:
        """``metric`` of ``tenant_id`` under ``rule_filter`` over ``[start_ms, end_ms)``.

        ``tenant``: the tenant's current settings (SLA targets, engaged web events), as the
        family's GraphQL applies them; None reads as a tenant never configured (the defaults).
        """
        ...
