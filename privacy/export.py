"""Access and portability: every stored ``events_raw`` row of a subject, page by page.

Rows come in the table's own order within the tenant (event type, time, id), a page of
``page_rows`` per query with a cursor on that order, so neither this process nor a client of the
admin route ever holds a large subject at once. ``FINAL``: every stored event once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import structlog

from pulse.families.recalc_wire import plain
from pulse.privacy.audit import EXPORT, AuditRecord, record
from pulse.privacy.subject import Subject
from pulse.sinks.clickhouse import ClickHouse

log = structlog.get_logger(__name__)

_CURSOR = (
    " AND (event_type, occurred_at, event_id) > ({after_type:String},"
    " fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})"
)
_PAGE_SQL = """
SELECT *, toInt64(toUnixTimestamp64Milli(occurred_at)) AS _cursor_ms
FROM events_raw FINAL
WHERE {subject} {cursor}
ORDER BY event_type, occurred_at, event_id
LIMIT {page_rows:UInt32}
"""
_COUNT_SQL = "SELECT toInt64(count()) AS n FROM events_raw FINAL WHERE {subject}"


def count_rows(db: ClickHouse, subject: Subject) -> int:
    rows = db.query(_COUNT_SQL.replace("{subject}", subject.where), subject.params)
    return int(rows[0]["n"]) if rows else 0


def subject_rows(db: ClickHouse, subject: Subject, page_rows: int) -> Iterator[dict[str, Any]]:
    """The subject's rows as JSON-ready dicts (instants as ISO-8601 text)."""
    params: dict[str, Any] = {**subject.params, "page_rows": page_rows}
    cursor = ""
    while True:
        sql = _PAGE_SQL.replace("{subject}", subject.where).replace("{cursor}", cursor)
        page = db.query(sql, params)
        for row in page:
            at_ms = row.pop("_cursor_ms")
            yield {name: plain(value) for name, value in row.items()}
        if len(page) < page_rows:
            return
        cursor = _CURSOR
        params.update(
            after_type=page[-1]["event_type"], after_ms=at_ms, after_id=page[-1]["event_id"]
        )


def json_line(row: dict[str, Any]) -> bytes:
    """One row of a JSON Lines export."""
    return json.dumps(row, ensure_ascii=False, sort_keys=True).encode() + b"\n"


def export(
    db: ClickHouse,
    subject: Subject,
    requested_by: str,
    reason: str,
    audit_key: str,
    page_rows: int,
    now_ms: int,
) -> Iterator[dict[str, Any]]:
    """Audit an export of ``subject`` (with the number of rows it holds now), then its rows.

    The record is written before the first row leaves: an access log must show every access
    that began, also one whose transfer broke off."""
    subject.check()
    rows = count_rows(db, subject)
    record(
        db,
        AuditRecord.of(
            subject, audit_key, EXPORT, requested_by, reason, now_ms, rows, {"events_raw": rows}
        ),
    )
    log.info("subject exported", tenant_id=subject.tenant_id, subject_kind=subject.kind, rows=rows)
    return subject_rows(db, subject, page_rows)
