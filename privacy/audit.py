"""The audit log (``privacy_requests``, migration m0013): write a request's record, list them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pulse.privacy.subject import Subject
from pulse.sinks.clickhouse import ClickHouse

TABLE = "privacy_requests"
COLUMNS = (
    "request_id",
    "requested_at",
    "action",
    "tenant_id",
    "subject_kind",
    "subject_hash",
    "requested_by",
    "reason",
    "rows",
    "detail",
)
EXPORT, ERASE, RETENTION = "export", "erase", "retention"


@dataclass(frozen=True)
class AuditRecord:
    """One request as the log keeps it; ``requested_at`` in UTC milliseconds."""

    requested_at: int
    action: str
    tenant_id: str
    subject_kind: str
    subject_hash: str
    requested_by: str
    reason: str
    rows: int
    detail: Mapping[str, int] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def of(
        cls,
        subject: Subject,
        key: str,
        action: str,
        requested_by: str,
        reason: str,
        now_ms: int,
        rows: int,
        detail: Mapping[str, int],
    ) -> AuditRecord:
        """The record of ``action`` on ``subject``, named by its HMAC under ``key``."""
        return cls(
            requested_at=now_ms,
            action=action,
            tenant_id=subject.tenant_id,
            subject_kind=subject.kind,
            subject_hash=subject.audit_hash(key),
            requested_by=requested_by,
            reason=reason,
            rows=rows,
            detail=dict(detail),
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "detail": dict(self.detail)}


def record(db: ClickHouse, entry: AuditRecord) -> None:
    row = {**entry.to_json(), "detail": json.dumps(dict(entry.detail), sort_keys=True)}
    db.insert(TABLE, [row], COLUMNS)


_LIST_SQL = f"""
SELECT {", ".join(COLUMNS)}, toInt64(toUnixTimestamp64Milli(requested_at)) AS at_ms
FROM {TABLE}
WHERE 1 {{where}}
ORDER BY requested_at DESC, request_id
LIMIT {{limit:UInt32}}
"""


def entries(db: ClickHouse, tenant_id: str | None, limit: int) -> list[AuditRecord]:
    """The ``limit`` latest records (of ``tenant_id``, or every tenant), newest first."""
    where, params = "", dict[str, Any](limit=limit)
    if tenant_id is not None:
        where = " AND tenant_id = {tenant_id:String}"
        params["tenant_id"] = tenant_id
    rows = db.query(_LIST_SQL.replace("{where}", where), params)
    return [
        AuditRecord(
            requested_at=int(r["at_ms"]),
            action=str(r["action"]),
            tenant_id=str(r["tenant_id"]),
            subject_kind=str(r["subject_kind"]),
            subject_hash=str(r["subject_hash"]),
            requested_by=str(r["requested_by"]),
            reason=str(r["reason"]),
            rows=int(r["rows"]),
            detail=json.loads(str(r["detail"]) or "{}"),
            request_id=str(r["request_id"]),
        )
        for r in rows
    ]
