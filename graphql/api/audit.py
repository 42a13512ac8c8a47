"""The API's audit log writer: records queued by requests, inserted in batches by a thread.

A request only puts its record on a bounded queue (never blocking), so no answer waits for
ClickHouse. A background thread inserts up to ``audit_batch_rows`` records at a time, every
``audit_flush_seconds``. A record that cannot be written is not dropped silently: a full queue or
a batch whose insert failed ``audit_attempts`` times is counted in ``pulse_api_audit_records``
(outcome ``queue_full`` / ``insert_failed``) and logged in full (``audit_record_lost``), so the log
stream still holds it. Closing flushes what is queued.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import structlog

from pulse.errors import PulseError
from pulse.metrics import AUDIT_RECORDS
from pulse.settings import ApiSettings

log = structlog.get_logger(__name__)

TABLE = "audit_log"


@dataclass(frozen=True)
class AuditRecord:
    """One operation, as a row of ``audit_log`` (``at`` in epoch milliseconds)."""

    at: int
    tenant_id: str
    subject: str
    roles: list[str]
    org_units: list[str]
    operation_type: str
    operation_name: str
    fields: list[str]
    arguments: str
    variables: str
    rows: int
    duration_ms: int
    outcome: str


COLUMNS = tuple(AuditRecord.__dataclass_fields__)


class AuditSink(Protocol):
    """Where the audit extension leaves a record; :class:`AuditLog`, or a list in tests."""

    def record(self, entry: AuditRecord) -> None: ...


class Inserter(Protocol):
    """The part of ``pulse.sinks.clickhouse.ClickHouse`` the writer uses."""

    def insert(
        self, table: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]
    ) -> None: ...


@dataclass
class _Batch:
    entries: list[AuditRecord]
    attempts: int = 0


@dataclass
class AuditLog:
    """Queues records and inserts them from a daemon thread; ``start`` then ``close``."""

    db: Inserter
    settings: ApiSettings
    _queue: queue.Queue[AuditRecord] = field(init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _pending: _Batch | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._queue = queue.Queue(maxsize=self.settings.audit_queue_size)

    def record(self, entry: AuditRecord) -> None:
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            _lost([entry], "queue_full")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pulse-audit", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stops the thread after a last flush of everything queued."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.settings.audit_flush_seconds * 10 + 5)
        self.flush(final=True)

    def _run(self) -> None:
        while not self._stop.wait(self.settings.audit_flush_seconds):
            self.flush()

    def flush(self, final: bool = False) -> None:
        """Inserts the queued records in batches; a failed batch waits for the next flush, and
        is lost (logged) after its last attempt or on the final flush."""
        while True:
            batch = self._pending or self._take()
            if batch is None:
                return
            self._pending = None
            batch.attempts += 1
            try:
                self.db.insert(TABLE, [asdict(e) for e in batch.entries], COLUMNS)
            except (PulseError, OSError, RuntimeError) as exc:
                log.warning("audit_insert_failed", attempt=batch.attempts, error=str(exc))
                if final or batch.attempts >= self.settings.audit_attempts:
                    _lost(batch.entries, "insert_failed")
                    continue
                self._pending = batch
                return
            AUDIT_RECORDS.labels("written").inc(len(batch.entries))

    def _take(self) -> _Batch | None:
        entries: list[AuditRecord] = []
        while len(entries) < self.settings.audit_batch_rows:
            try:
                entries.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return _Batch(entries) if entries else None


def _lost(entries: list[AuditRecord], reason: str) -> None:
    AUDIT_RECORDS.labels(reason).inc(len(entries))
    for entry in entries:
        log.error("audit_record_lost", reason=reason, **asdict(entry))
