"""The web reader: a rule's web metric over one window, as ``webMetrics`` defines it over that
range (``families/web/README.md``), through the family's own statement so a change of its
tables carries over.

The statement's totals row answers the whole range whatever the buckets, so the window is asked
as one bucket spanning it: page views and visitors by their events' time, sessions, bounces and
lengths by the session's start (a session belongs to the window of its first event, whole). The
bounce rate applies the tenant's engaged events. ``active_visitors`` is the family's figure at
the window's end, from ClickHouse: distinct visitors with an event in ``(end - 5 min, end]``.

What each figure rests on (``Reading.events``; 0 is a rule's "no data"): page views, the page
views; visitors, the visitors; sessions, bounce rate and mean length, the sessions; active
visitors, the active visitors.
"""

from __future__ import annotations

from pulse.alerts.errors import AlertError
from pulse.alerts.readings.reading import Reading
from pulse.alerts.rules import RuleFilter
from pulse.families.helpdesk.model import Bucket
from pulse.families.web.live import stored_active_visitors
from pulse.families.web.model import WebCounts, WebQuery
from pulse.families.web.query import web_answer
from pulse.graphql.numbers import mean_seconds, rate
from pulse.sinks.clickhouse import ClickHouse
from pulse.topics.tenants import TenantSettings


class WebReader:
    raw_only = False  # web_sessions, a derivation

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
        """``metric`` of ``tenant_id`` over ``[start_ms, end_ms)``; web metrics take no filter."""
        if metric == "active_visitors":
            active = stored_active_visitors(db, tenant_id, end_ms)
            return Reading(float(active), active)
        question = WebQuery(
            tenant_id=tenant_id,
            from_ms=start_ms,
            to_ms=end_ms,
            # The zone and grain only place the statement's per-bucket rows, which go unread.
            time_zone="UTC",
            granularity="hour",
            buckets=(Bucket(start_ms, end_ms, 0),),
            engaged=(tenant or TenantSettings()).engaged_events,
        )
        return _reading(web_answer(db, question).totals, metric)


def _reading(counts: WebCounts, metric: str) -> Reading:
    if metric == "page_views":
        return Reading(float(counts.page_views), counts.page_views)
    if metric == "visitors":
        return Reading(float(counts.visitors), counts.visitors)
    if metric == "sessions":
        return Reading(float(counts.sessions), counts.sessions)
    if metric == "bounce_rate":
        return Reading(rate(counts.bounces, counts.sessions), counts.sessions)
    if metric == "avg_session_seconds":
        return Reading(mean_seconds(counts.length_ms, counts.sessions), counts.sessions)
    raise AlertError("not a web metric", metric=metric)


WEB_READER = WebReader()
