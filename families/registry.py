"""Every family's root query fields; the API's root ``Query`` merges them (``graphql/api``).

A new family adds its module and one line here.
"""

from __future__ import annotations

from pulse.alerts.history_graphql import AlertHistoryQueries
from pulse.alerts.rules_graphql import AlertRuleMutations, AlertRuleQueries
from pulse.dashboards.embed_graphql import EmbedMutations
from pulse.dashboards.graphql import (
    DashboardMutations,
    DashboardQueries,
    DashboardSubscriptions,
)
from pulse.families.derivation import Derivation
from pulse.families.drilldown.graphql import DrilldownQueries
from pulse.families.helpdesk.breakdown_graphql import HelpdeskBreakdownQueries
from pulse.families.helpdesk.derived import HelpdeskMoments
from pulse.families.helpdesk.graphql import HelpdeskQueries
from pulse.families.messaging.breakdown_graphql import MessagingBreakdownQueries
from pulse.families.messaging.derived import MESSAGING_SLOTS
from pulse.families.messaging.graphql import MessagingQueries
from pulse.families.messaging.live import MESSAGING_REALTIME
from pulse.families.newest import NEWEST_EVENTS
from pulse.families.outreach.breakdown_graphql import OutreachBreakdownQueries
from pulse.families.outreach.campaigns_queries import CampaignQueries
from pulse.families.outreach.days import OUTREACH_DAYS
from pulse.families.outreach.flows_breakdown_graphql import FlowBreakdownQueries
from pulse.families.outreach.flows_graphql import OutreachFlowQueries
from pulse.families.realtime import RealtimeHook
from pulse.families.subscriptions import LiveSubscriptions
from pulse.families.web.breakdown_by_graphql import WebBreakdownQueries
from pulse.families.web.derived import WEB_SESSIONS
from pulse.families.web.dnt_derived import WEB_DNT_VIEWS
from pulse.families.web.graphql import WebQueries
from pulse.families.web.live import WEB_REALTIME
from pulse.graphql.audit_graphql import AuditQueries

QUERIES: tuple[type, ...] = (
    MessagingQueries,
    MessagingBreakdownQueries,
    HelpdeskQueries,
    HelpdeskBreakdownQueries,
    CampaignQueries,
    OutreachBreakdownQueries,
    OutreachFlowQueries,
    FlowBreakdownQueries,
    WebQueries,
    WebBreakdownQueries,
    DrilldownQueries,
    AlertRuleQueries,
    AlertHistoryQueries,
    AuditQueries,
    DashboardQueries,
)

# Every root mutation field; the API's root ``Mutation`` merges them.
MUTATIONS: tuple[type, ...] = (AlertRuleMutations, DashboardMutations, EmbedMutations)

# Every root subscription field; the API's root ``Subscription`` merges them.
SUBSCRIPTIONS: tuple[type, ...] = (LiveSubscriptions, DashboardSubscriptions)

# Every family's derived tables, refreshed by the sink after each batch and by ``pulse recalc``,
# in this order (outreach's days are summed from messaging's freshly refreshed slots).
DERIVATIONS: tuple[Derivation, ...] = (
    HelpdeskMoments(),
    MESSAGING_SLOTS,
    OUTREACH_DAYS,
    WEB_SESSIONS,
    WEB_DNT_VIEWS,
)

# Every family's recent figures, cached in Redis by the sink after its derivations ran.
REALTIME: tuple[RealtimeHook, ...] = (MESSAGING_REALTIME, WEB_REALTIME, NEWEST_EVENTS)
