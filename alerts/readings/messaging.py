"""Messaging metrics over one window (METRICS.md §3 Messaging): the eight counts and four rates.

A rate is the window's ratio of counts, in percent to 2 decimals, undefined (None) over a zero
denominator, exactly as ``messagingMetrics`` answers it. The reading's ``events`` are all the
window's messages under the filter, whatever their type: a window with messages but no
``message.failed`` is a count of 0, not "no data".
"""

from __future__ import annotations

from pulse.alerts.readings.counts import type_counts
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import RuleFilter
from pulse.families.messaging.model import COUNTS, EVENT_TYPES
from pulse.graphql.numbers import rate
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings

# rate -> (numerator, denominator), by count name
RATES: dict[str, tuple[str, str]] = {
    "delivery_rate": ("delivered", "sent"),
    "read_rate": ("read", "delivered"),
    "click_rate": ("clicked", "delivered"),
    "failure_rate": ("failed", "sent"),
}
FILTER_COLUMNS = ("org_unit", "channel")


class MessagingReader:
    raw_only = True  # type_counts over events_raw

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
        """``metric`` of the tenant's messages under ``rule_filter`` in ``[start_ms, end_ms)``."""
        given = rule_filter.given()
        filters = {c: given[c] for c in FILTER_COLUMNS if c in given}
        by_type = type_counts(db, tenant_id, EVENT_TYPES, FILTER_COLUMNS, filters, start_ms, end_ms)
        counts = {name: by_type.get(f"message.{name}", 0) for name in COUNTS}
        events = sum(counts.values())
        if metric in RATES:
            numerator, denominator = RATES[metric]
            return Reading(rate(counts[numerator], counts[denominator]), events)
        return Reading(float(counts[metric]), events)
