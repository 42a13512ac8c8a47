"""Retention: delete what has outlived its tenant's window, per kind of data, by event time.

Each kind covers rows of some tables (:data:`TARGETS`); a row goes when its event time is strictly
before ``now - window`` of its tenant (the tenant's own window, else the default). Derived rows are
never recomputed when their raw events expire: aggregates outlive raw events by design, so
``pulse recalc`` refuses (or starts after) ranges whose raw events may have expired
(:func:`recalc_floor_ms`). A new derived table adds a line to :data:`TARGETS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog

from pulse.families.helpdesk import changes
from pulse.families.helpdesk.moments_sql import CSAT
from pulse.privacy.audit import RETENTION, AuditRecord, record
from pulse.privacy.windows import RetentionPolicy
from pulse.sinks.clickhouse import ClickHouse

log = structlog.get_logger(__name__)

DAY_MS = 86_400_000


@dataclass(frozen=True)
class Target:
    """Rows of ``table`` of kind ``kind``: those ``where`` keeps (fixed text), aged by ``at``."""

    kind: str
    table: str
    at: str
    where: str = "1"


# A conversation's facts age with its known creation; one never created stays (its creation
# may yet arrive). Deleted by id, so no part keeps a fragment of an expired conversation.
_EXPIRED_CONVERSATIONS = (
    "conversation_id IN (SELECT conversation_id FROM helpdesk_conversations FINAL"
    " WHERE {tenants} AND created.1 < {cutoff} AND created.2 != '')"
)

TARGETS: tuple[Target, ...] = (
    Target("raw", "events_raw", "occurred_at", "event_type != 'csat.submitted'"),
    Target("csat", "events_raw", "occurred_at", "event_type = 'csat.submitted'"),
    Target("csat", "helpdesk_moments", "t", f"kind = {CSAT}"),
    Target("aggregates", "helpdesk_moments", "t", f"kind != {CSAT}"),
    # A backlog day row goes once its whole UTC day has expired: until then it still counts the
    # moments of that day already gone, never fewer than those left.
    Target("aggregates", "helpdesk_backlog_days", "day + 1"),
    Target("aggregates", "messaging_slots", "slot"),
    Target("aggregates", "outreach_days", "day"),
    # The web family's copy of raw events goes with them; its sessions are aggregates.
    Target("raw", "web_visitor_events", "t"),
    Target("aggregates", "web_sessions", "t"),
    Target("aggregates", "web_visitor_sessions", "t"),
    Target("aggregates", "web_visitor_sessions_rolled", "t"),
    Target("aggregates", "web_slots", "slot"),
    Target("aggregates", "helpdesk_conversations", "", _EXPIRED_CONVERSATIONS),
    Target("dead_letters", "dead_letters", "failed_at"),
    # The API's audit log names what was asked (agents, conversations): it ages with raw events.
    Target("raw", "audit_log", "at"),
)

_CUTOFF = "fromUnixTimestamp64Milli({cutoff_ms:Int64}, 'UTC')"
_DEFAULT_TENANTS = "tenant_id NOT IN {own:Array(String)}"
_ONE_TENANT = "tenant_id = {tenant_id:String}"
DEFAULT = "*"


@dataclass(frozen=True)
class Deletion:
    """What one statement removes: ``target``'s rows of ``tenant`` (or every tenant without a
    window of its own, :data:`DEFAULT`) older than ``cutoff_ms``."""

    target: Target
    tenant: str
    cutoff_ms: int

    def predicate(self) -> str:
        tenants = _DEFAULT_TENANTS if self.tenant == DEFAULT else _ONE_TENANT
        if not self.target.at:
            return f"{tenants} AND " + self.target.where.format(tenants=tenants, cutoff=_CUTOFF)
        return f"{tenants} AND {self.target.at} < {_CUTOFF} AND ({self.target.where})"

    def params(self, policy: RetentionPolicy) -> dict[str, Any]:
        params: dict[str, Any] = {"cutoff_ms": self.cutoff_ms}
        if self.tenant == DEFAULT:
            params["own"] = policy.overridden(self.target.kind)
        else:
            params["tenant_id"] = self.tenant
        return params

    @property
    def label(self) -> str:
        return f"{self.target.kind}:{self.target.table}:{self.tenant}"


def deletions(policy: RetentionPolicy, now_ms: int) -> Iterator[Deletion]:
    """Every statement of a run at ``now_ms``: per target, the defaults, then each own window."""
    for target in TARGETS:
        yield Deletion(target, DEFAULT, policy.defaults[target.kind].cutoff_ms(now_ms))
        for tenant in policy.overridden(target.kind):
            yield Deletion(target, tenant, policy.window(tenant, target.kind).cutoff_ms(now_ms))


@dataclass
class RetentionReport:
    """Rows found (a dry run) or deleted, by ``kind:table:tenant``."""

    dry_run: bool
    now_ms: int
    rows: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "now_ms": self.now_ms, "rows": dict(self.rows)}


def apply(
    db: ClickHouse, policy: RetentionPolicy, now_ms: int, dry_run: bool, requested_by: str
) -> RetentionReport:
    """Delete (or, for a dry run, count) every expired row; a real run is audited."""
    report = RetentionReport(dry_run, now_ms)
    helpdesk_tenants: set[str] = set()
    try:
        for deletion in deletions(policy, now_ms):
            where, params = deletion.predicate(), deletion.params(policy)
            found = db.query(
                f"SELECT tenant_id, toInt64(count()) AS n FROM {deletion.target.table}"
                f" WHERE {where} GROUP BY tenant_id",
                params,
            )
            rows = sum(int(r["n"]) for r in found)
            report.rows[deletion.label] = rows
            if rows and not dry_run:
                if deletion.target.table.startswith("helpdesk_"):
                    helpdesk_tenants.update(str(r["tenant_id"]) for r in found)
                db.execute(f"DELETE FROM {deletion.target.table} WHERE {where}", params)
    finally:
        # The API keeps helpdesk answers until a day they rest on changes, also when a later
        # deletion failed. A tenant whose first expired rows came between the count and the
        # delete goes unmarked: its answers are kept at most the cache's age.
        changes.mark_every_day_of(db, sorted(helpdesk_tenants))
    if not dry_run:
        total = sum(report.rows.values())
        record(
            db,
            AuditRecord(now_ms, RETENTION, "", "", "", requested_by, "", total, report.rows),
        )
        log.info("retention applied", rows=total)
    return report


def recalc_floor_ms(policy: RetentionPolicy, tenant_id: str | None, now_ms: int) -> int:
    """The earliest instant ``pulse recalc`` may recompute from: the start of the first whole UTC
    day whose raw events are all inside the raw window of ``tenant_id`` (of every tenant, when
    none is named). A slot or a day that straddles the cutoff has lost part of its events."""
    tenants = [tenant_id] if tenant_id is not None else [DEFAULT, *policy.overridden("raw")]
    cutoff = max(
        (policy.defaults["raw"] if t == DEFAULT else policy.window(t, "raw")).cutoff_ms(now_ms)
        for t in tenants
    )
    return -(-cutoff // DAY_MS) * DAY_MS
