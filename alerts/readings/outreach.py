"""Outreach metrics over one window (METRICS.md §3 Outreach): automation and workflow figures.

The counts come from ``events_raw`` like the family's own (``flows_counts``) and become figures
through the family's count classes, so a rate here is the one ``automationMetrics`` and
``workflowMetrics`` answer. ``events`` are the window's automation events (under the channel
filter) or workflow events: a window with executions and no failure reads 0 failed, not no data.
An automation event without a channel matches no channel filter, as in the family.
"""

from __future__ import annotations

from pulse.alerts.readings.counts import type_counts
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import RuleFilter
from pulse.families.outreach import automation, workflows
from pulse.families.outreach.automation import AutomationCounts
from pulse.families.outreach.workflows import WorkflowCounts
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings

# catalogue name -> the family's figure
AUTOMATION = {
    "automation_executed": "executed",
    "automation_failed": "failed",
    "automation_failure_rate": "failure_rate",
}
WORKFLOW = {
    "workflow_runs": "runs",
    "workflow_failed": "failed",
    "workflow_completion_rate": "completion_rate",
    "workflow_conversion_rate": "conversion_rate",
}


class OutreachReader:
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
        """``metric`` of the tenant's automation or workflow events in ``[start_ms, end_ms)``."""
        figures: AutomationCounts | WorkflowCounts
        if metric in AUTOMATION:
            channel = rule_filter.channel
            filters = {} if channel is None else {"channel": channel}
            counts = type_counts(
                db, tenant_id, automation.EVENT_TYPES, ("channel",), filters, start_ms, end_ms
            )
            figures, name = AutomationCounts.of(counts), AUTOMATION[metric]
        else:
            counts = type_counts(db, tenant_id, workflows.EVENT_TYPES, (), {}, start_ms, end_ms)
            figures, name = WorkflowCounts.of(counts), WORKFLOW[metric]
        value = getattr(figures, name)
        return Reading(None if value is None else float(value), sum(counts.values()))
