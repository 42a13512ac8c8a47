"""Erasure: a subject's raw events leave ``events_raw``, and everything derived from them is
repaired, then the request is audited.

Order, each step safe to repeat (an erasure that fails part-way is run again):

1. read the subject's rows, column by column as the sink hands them to the derivations;
2. delete those rows (by event id) from ``events_raw`` (a lightweight ``DELETE``: synchronous,
   the rows are gone from every read when it returns; parts are rewritten by later merges);
3. for every registered derivation, the keys those rows touched: ``refresh``, exactly as
   ``pulse recalc`` would for those keys, or ``forget`` (which also refreshes them) when the
   derivation has rows a refresh cannot rebuild (:class:`~pulse.families.derivation.Forgets`);
4. let every realtime hook recompute what Redis holds for those rows (a hook re-reads what the
   refresh stored and overwrites the entries at the new version);
5. read again: rows the sink stored meanwhile go the same way (:data:`MAX_PASSES` at most);
6. on a ClickHouse server, wait out the inserts running at that point, then repeat steps 3 and 4
   for every row erased: a sink refresh may have read the facts before step 3 rebuilt them and
   written the erased rows back, before this point or after it (``pulse.privacy.writers``);
7. write the audit record.

Query-time families (outreach flows) read ``events_raw`` and need nothing more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis
import structlog

from pulse.families.derivation import Derivation, Forgets
from pulse.families.realtime import RealtimeHook
from pulse.privacy.audit import ERASE, AuditRecord, record
from pulse.privacy.subject import Subject
from pulse.privacy.writers import running_inserts, wait_out
from pulse.settings import PrivacySettings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache

log = structlog.get_logger(__name__)

# Instants as the sink hands them to ``touched``: int milliseconds.
_ROWS_SQL = """
SELECT * REPLACE (
    toInt64(toUnixTimestamp64Milli(occurred_at)) AS occurred_at,
    toInt64(toUnixTimestamp64Milli(ingested_at)) AS ingested_at
)
FROM events_raw FINAL
WHERE {subject}
"""
_DELETE_SQL = "DELETE FROM events_raw WHERE {subject} AND event_id IN {event_ids:Array(String)}"
MAX_PASSES = 3


@dataclass(frozen=True)
class ErasureRequest:
    subject: Subject
    requested_by: str
    reason: str = ""


@dataclass
class ErasureReport:
    """What an erasure removed and repaired; ``detail`` is what the audit record keeps."""

    request_id: str = ""
    events: int = 0
    detail: dict[str, int] = field(default_factory=dict)
    realtime_entries: int = 0
    realtime_error: str = ""
    # Inserts that ran beside the repair, waited out before repairing again; those still
    # running when the wait gave up (their rows need ``pulse recalc --verify``).
    inserts_waited: int = 0
    inserts_unsettled: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "events": self.events,
            "detail": dict(self.detail),
            "realtime_entries": self.realtime_entries,
            "realtime_error": self.realtime_error,
            "inserts_waited": self.inserts_waited,
            "inserts_unsettled": self.inserts_unsettled,
        }


def erase(
    db: ClickHouse,
    request: ErasureRequest,
    derivations: Sequence[Derivation],
    hooks: Sequence[RealtimeHook],
    cache: RealtimeCache | None,
    audit_key: str,
    clock: Callable[[], float] = time.time,
    settle_seconds: float = PrivacySettings.erase_settle_seconds,
) -> ErasureReport:
    """Erase ``request.subject`` (see the module); the report of what was done."""
    subject = request.subject
    subject.check()
    bound = log.bind(tenant_id=subject.tenant_id, subject_kind=subject.kind)
    report = ErasureReport()
    erased: list[dict[str, list[Any]]] = []
    # Only the rows read are deleted, so every deleted row is repaired for; one the sink
    # stores meanwhile is found by the next pass.
    for _ in range(MAX_PASSES):
        raw = _columns(db.query(_ROWS_SQL.replace("{subject}", subject.where), subject.params))
        if not raw:
            break
        event_ids = [str(e) for e in raw["event_id"]]
        db.execute(
            _DELETE_SQL.replace("{subject}", subject.where),
            {**subject.params, "event_ids": event_ids},
        )
        report.events += len(event_ids)
        for name, keys in _repair(db, raw, derivations).items():
            report.detail[name] = report.detail.get(name, 0) + keys
        if cache is not None:
            _recache(db, cache, hooks, raw, int(clock() * 1000), report)
        erased.append(raw)
    if erased and db.shared:
        _settle(db, erased, derivations, hooks, cache, settle_seconds, report, clock)
    report.detail["events_raw"] = report.events
    now_ms = int(clock() * 1000)
    entry = AuditRecord.of(
        subject,
        audit_key,
        ERASE,
        request.requested_by,
        request.reason,
        now_ms,
        report.events,
        report.detail,
    )
    record(db, entry)
    report.request_id = entry.request_id
    bound.info("subject erased", events=report.events, detail=report.detail)
    return report


def _repair(
    db: ClickHouse, raw: Mapping[str, Sequence[Any]], derivations: Sequence[Derivation]
) -> dict[str, int]:
    """Repair every derivation for the deleted rows ``raw``; keys repaired by derivation."""
    event_ids = [str(e) for e in raw["event_id"]]
    repaired: dict[str, int] = {}
    for derivation in derivations:
        keys = derivation.touched(raw)
        if not keys:
            continue
        if isinstance(derivation, Forgets):
            derivation.forget(db, keys, event_ids)
        else:
            derivation.refresh(db, keys)
        repaired[derivation.name] = len(keys)
    return repaired


def _settle(
    db: ClickHouse,
    erased: Sequence[Mapping[str, Sequence[Any]]],
    derivations: Sequence[Derivation],
    hooks: Sequence[RealtimeHook],
    cache: RealtimeCache | None,
    settle_seconds: float,
    report: ErasureReport,
    clock: Callable[[], float],
) -> None:
    """Step 6: once the inserts running now have ended, repair again for every erased row."""
    running = running_inserts(db)
    left = wait_out(db, running, settle_seconds)
    report.inserts_waited = len(running)
    report.inserts_unsettled = len(left)
    if left:
        log.error(
            "inserts still running after an erasure's wait; run pulse recalc --verify",
            tenant_id=erased[0]["tenant_id"][0],
            query_ids=sorted(left),
        )
    for raw in erased:
        _repair(db, raw, derivations)
        if cache is not None:
            _recache(db, cache, hooks, raw, int(clock() * 1000), report)


def _recache(
    db: ClickHouse,
    cache: RealtimeCache,
    hooks: Sequence[RealtimeHook],
    raw: Mapping[str, Sequence[Any]],
    now_ms: int,
    report: ErasureReport,
) -> None:
    try:
        for hook in hooks:
            report.realtime_entries += hook.cache(db, cache, raw, now_ms)
    except redis.RedisError as exc:
        # The figures in Redis are counts, not the subject's events, and expire within the
        # cache's TTL; the erasure of the stored events stands and says what it could not do.
        report.realtime_error = str(exc)
        log.error("realtime cache not refreshed after an erasure", error=str(exc))


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Rows as the column-wise block the derivations and realtime hooks read."""
    if not rows:
        return {}
    return {name: [row[name] for row in rows] for name in rows[0]}
