"""A rule's metric over one window, read from ClickHouse: the evaluator's only view of the data.

Each family of :data:`pulse.alerts.metrics_catalog.CATALOG` has one reader; :func:`read` picks
it. A reader answers for one tenant, its filter and ``[start_ms, end_ms)`` in UTC milliseconds,
whatever the window's length (a 5-minute window is not a 15-minute slot), exactly as the
family's GraphQL figures define the metric over that range.
"""

from __future__ import annotations

from pulse.alerts.metrics_catalog import CATALOG
from pulse.alerts.readings.helpdesk import HELPDESK_READER
from pulse.alerts.readings.messaging import MessagingReader
from pulse.alerts.readings.outreach import OutreachReader
from pulse.alerts.readings.reading import Reading, WindowReader
from pulse.alerts.readings.web import WEB_READER
from pulse.alerts.rules import AlertRule, RuleFilter
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings

# One line per family of the catalogue.
READERS: dict[str, WindowReader] = {
    "helpdesk": HELPDESK_READER,
    "web": WEB_READER,
    "messaging": MessagingReader(),
    "outreach": OutreachReader(),
}


def read(
    db: ClickHouse,
    tenant_id: str,
    metric: str,
    rule_filter: RuleFilter,
    start_ms: int,
    end_ms: int,
    *,
    tenant: TenantSettings | None = None,
) -> Reading:
    """The reading of a catalogue metric, by its family's reader, under the tenant's settings."""
    reader = READERS[CATALOG[metric].family]
    return reader.read(db, tenant_id, metric, rule_filter, start_ms, end_ms, tenant=tenant)


def reads_raw_only(rule: AlertRule) -> bool:
    """Whether the rule's reader reads ``events_raw`` alone (no derived table), so a batch's
    raw rows are all it needs to see (alerts/wakeup.py)."""
    return READERS[CATALOG[rule.metric].family].raw_only
