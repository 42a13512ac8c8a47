"""The helpdesk reader: a rule's helpdesk metric over one window, as ``helpdeskMetrics`` defines
it over that range (``families/helpdesk/README.md``).

The family's statement answers the whole range in its total rows, so the window is asked as one
bucket spanning it. SLA is judged at the window's end with the tenant's current targets; the
backlog is the open conversations at the window's end, over the tenant's whole history.

What each figure rests on (``Reading.events``; 0 is a rule's "no data"): a count, the events it
counts; FRT, the first responses in the window; resolution time, the resolutions with one; SLA
figures, the conversations judged met or breached; CSAT, the responses; the backlog, 1 when the
tenant has any creation, resolution or reopening under the filter before the end, else 0 (a
backlog of 0 after conversations were all resolved is a figure, not missing data).
"""

from __future__ import annotations

from pulse.alerts.errors import AlertError
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import RuleFilter
from pulse.families.helpdesk.answers import range_figures
from pulse.families.helpdesk.model import Bucket, HelpdeskFigures, HelpdeskQuery
from pulse.families.helpdesk.query import has_conversations
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings

_SLA = ("sla_met", "sla_breached", "sla_breach_rate")
_CSAT = ("csat_responses", "csat_avg", "csat_percent")
_COUNTS = ("conversations_created", "conversations_resolved", "conversations_reopened")


class HelpdeskReader:
    raw_only = False  # helpdesk_moments, derived by the sink

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
        """``metric`` of ``tenant_id`` under ``rule_filter`` over ``[start_ms, end_ms)``."""
        settings = tenant or TenantSettings()
        question = HelpdeskQuery(
            tenant_id=tenant_id,
            # The zone and grain only place the statement's per-bucket rows, which go unread.
            buckets=(Bucket(start_ms, end_ms, 0),),
            time_zone="UTC",
            granularity="hour",
            as_of_ms=end_ms,
            sla_ms=settings.sla_ms,
            channel=rule_filter.channel,
            org_unit=rule_filter.org_unit,
            priority=rule_filter.priority,
        )
        figures = range_figures(db, question)
        if metric == "backlog":
            return Reading(float(figures.backlog), int(has_conversations(db, question)))
        value = getattr(figures, metric)
        return Reading(None if value is None else float(value), _events(figures, metric))


def _events(figures: HelpdeskFigures, metric: str) -> int:
    if metric in _COUNTS:
        return int(getattr(figures, metric))
    if metric in _SLA:
        return figures.sla_met + figures.sla_breached
    if metric in _CSAT:
        return figures.csat_responses
    if metric.startswith("frt_"):
        return figures.first_responses
    if metric.startswith("resolution_"):
        return figures.resolutions
    raise AlertError("not a helpdesk metric", metric=metric)


HELPDESK_READER = HelpdeskReader()
