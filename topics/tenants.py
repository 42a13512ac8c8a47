"""Tenant settings on the compacted ``tenants`` topic: publish them, and follow them.

A record is key = tenant_id (UTF-8), value = JSON
``{"timezone": "Europe/Lisbon", "sla": {"urgent": 600000, "high": 1800000, ...}}`` (first-response
targets in milliseconds by priority); a priority missing from ``sla``, or ``sla`` itself (records
written before it existed), takes its default. An optional ``"retention": {"raw": "90d"}`` sets
the tenant's own retention windows by kind (``pulse.privacy.windows``); a kind left out takes
the default window of ``PULSE_PRIVACY_RETENTION_*``. A null value (tombstone) returns the
tenant to the defaults. :class:`TenantDirectory` reads the whole topic
without a consumer group (every reader needs every tenant) and keeps the latest per tenant.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from pulse.families.helpdesk.model import DEFAULT_SLA_MS
from pulse.privacy.errors import PrivacyError
from pulse.privacy.windows import Window, parse_windows
from pulse.settings import KafkaSettings, Settings
from pulse.topics.errors import (
    MissingTopicError,
    PublishError,
    TenantDirectoryTimeoutError,
    TenantSettingsError,
    TopicsError,
)
from pulse.topics.sla import check_priority, check_target

log = structlog.get_logger(__name__)

DEFAULT_TIMEZONE = "UTC"


def _default_sla() -> Mapping[str, int]:
    return MappingProxyType(dict(DEFAULT_SLA_MS))


@dataclass(frozen=True)
class TenantSettings:
    """A tenant's zone and its first-response targets (milliseconds by priority, all four)."""

    timezone: str = DEFAULT_TIMEZONE
    sla_ms: Mapping[str, int] = field(default_factory=_default_sla)
    # The tenant's own retention windows by kind ("90d"); kinds left out take the defaults.
    retention: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            own = parse_windows(",".join(f"{k}={v}" for k, v in self.retention.items()))
        except PrivacyError as exc:
            raise TenantSettingsError(exc.message, field="retention") from exc
        object.__setattr__(self, "retention", MappingProxyType({k: str(w) for k, w in own.items()}))
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError, OSError) as exc:
            raise TenantSettingsError(
                f"unknown IANA time zone {self.timezone!r}", field="timezone", value=self.timezone
            ) from exc
        targets = dict(DEFAULT_SLA_MS)
        for priority, ms in self.sla_ms.items():
            if isinstance(ms, bool) or not isinstance(ms, int):
                raise TenantSettingsError(
                    f"SLA target of {priority} must be an integer of milliseconds",
                    field="sla",
                    value=ms,
                )
            targets[check_priority(priority)] = check_target(priority, ms)
        object.__setattr__(self, "sla_ms", MappingProxyType(targets))

    def __hash__(self) -> int:
        return hash(
            (
                self.timezone,
                tuple(sorted(self.sla_ms.items())),
                tuple(sorted(self.retention.items())),
            )
        )

    def retention_windows(self) -> dict[str, Window]:
        return {kind: Window.parse(text) for kind, text in self.retention.items()}

    def to_json(self) -> bytes:
        data: dict[str, Any] = {"timezone": self.timezone, "sla": dict(self.sla_ms)}
        if self.retention:
            data["retention"] = dict(self.retention)
        return json.dumps(data).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> TenantSettings:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise TenantSettingsError(f"not JSON: {exc}", field="value") from exc
        if not isinstance(data, dict):
            raise TenantSettingsError("tenant settings must be a JSON object", field="value")
        zone = data.get("timezone", DEFAULT_TIMEZONE)
        if not isinstance(zone, str):
            raise TenantSettingsError("timezone must be a string", field="timezone")
        sla: Any = data.get("sla")
        if sla is None:
            sla = {}
        if not isinstance(sla, dict):
            raise TenantSettingsError("sla must be an object of priority: ms", field="sla")
        retention: Any = data.get("retention") or {}
        if not isinstance(retention, dict) or not all(
            isinstance(v, str) for v in retention.values()
        ):
            raise TenantSettingsError(
                "retention must be an object of kind: window", field="retention"
            )
        return cls(timezone=zone, sla_ms=sla, retention=retention)


def publish_tenant(
    kafka: KafkaSettings, topic: str, tenant_id: str, tenant: TenantSettings
) -> None:
    """Writes ``tenant`` for ``tenant_id`` to ``topic`` and waits for the broker's ack."""
    if not tenant_id:
        raise TenantSettingsError("tenant_id must not be empty", field="tenant_id")
    failures: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            failures.append(err)

    producer = Producer(
        {"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True, "acks": "all"}
    )
    producer.produce(topic, key=tenant_id.encode(), value=tenant.to_json(), on_delivery=on_delivery)
    if producer.flush(30) or failures:
        reason = str(failures[0]) if failures else "not acknowledged within 30 s"
        raise PublishError(
            f"tenant {tenant_id!r} not written: {reason}", topic=topic, tenant_id=tenant_id
        )


class TenantDirectory:
    """The latest settings of every tenant, read from the beginning of the compacted topic.

    Use it either by calling :meth:`poll_updates` from one's own loop, or by :meth:`start`-ing
    a background thread; :meth:`wait_until_caught_up` works in both modes.
    """

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._topic = topic
        self._consumer = Consumer(
            {
                "bootstrap.servers": kafka.bootstrap_servers,
                # Required by the client; never joined (assign, not subscribe) nor committed.
                "group.id": f"tenant-directory-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",
            }
        )
        self._tenants: dict[str, TenantSettings] = {}
        self._partitions = self._assign_all()
        # Next offset to read per partition, -1 until the first record of it has been read.
        self._positions = dict.fromkeys(self._partitions, -1)
        self._lock = threading.Lock()  # the consumer is used by one thread at a time
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._failure: Exception | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TenantDirectory:
        """The directory of ``settings``' own ``tenants`` topic."""
        return cls(settings.kafka, settings.topic("tenants"))

    def _assign_all(self) -> list[int]:
        meta = self._consumer.list_topics(self._topic, timeout=10).topics.get(self._topic)
        if meta is None or meta.error is not None or not meta.partitions:
            self._consumer.close()
            raise MissingTopicError(
                f"topic {self._topic} does not exist; run `pulse topics apply`", topic=self._topic
            )
        partitions = sorted(meta.partitions)
        self._consumer.assign(
            [TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in partitions]
        )
        return partitions

    def timezone(self, tenant_id: str) -> str:
        """The tenant's IANA zone; ``"UTC"`` for a tenant never configured."""
        return self.settings_for(tenant_id).timezone

    def settings_for(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings; the defaults for a tenant never configured."""
        self._raise_failure()
        return self._tenants.get(tenant_id) or TenantSettings()

    def snapshot(self) -> dict[str, TenantSettings]:
        return dict(self._tenants)

    def poll_updates(self, timeout: float = 0.0) -> int:
        """Applies the records available within ``timeout`` seconds; returns how many."""
        with self._lock:
            messages = self._consumer.consume(1000, timeout=timeout)
            positions = self._consumer.position(
                [TopicPartition(self._topic, p) for p in self._partitions]
            )
        applied = 0
        for msg in messages:
            error = msg.error()
            if error is None:
                self._apply(msg)
                applied += 1
            elif error.code() != KafkaError._PARTITION_EOF:
                log.warning("tenant_directory_error", topic=self._topic, error=str(error))
        with self._progress:
            for tp in positions:
                if tp.offset >= 0:
                    self._positions[tp.partition] = tp.offset
            self._progress.notify_all()
        return applied

    def _apply(self, msg: Message) -> None:
        key = msg.key()
        if not key:
            log.warning("tenant_record_without_key", topic=self._topic, offset=msg.offset())
            return
        tenant_id = key.decode("utf-8", errors="replace")
        value = msg.value()
        if value is None:
            self._tenants.pop(tenant_id, None)
            return
        try:
            self._tenants[tenant_id] = TenantSettings.from_json(value)
        except TenantSettingsError as exc:
            # Keep the last good settings: one bad record must not move a tenant's buckets.
            log.warning(
                "tenant_record_invalid",
                topic=self._topic,
                tenant_id=tenant_id,
                partition=msg.partition(),
                offset=msg.offset(),
                reason=exc.message,
            )

    def wait_until_caught_up(self, timeout: float = 30.0) -> None:
        """Returns once every record written before this call has been applied."""
        deadline = time.monotonic() + timeout
        targets = self._end_offsets(deadline)
        while not self._caught_up(targets):
            self._raise_failure()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TenantDirectoryTimeoutError(
                    f"tenant directory not caught up with {self._topic} after {timeout} s",
                    topic=self._topic,
                )
            if self._thread is not None:
                with self._progress:
                    self._progress.wait(min(remaining, 0.2))
            else:
                self.poll_updates(timeout=min(remaining, 0.2))

    def _end_offsets(self, deadline: float) -> dict[int, tuple[int, int]]:
        """(low, high) watermarks per partition, retried while a new topic elects its leaders."""
        while True:
            try:
                with self._lock:
                    return {
                        p: self._consumer.get_watermark_offsets(
                            TopicPartition(self._topic, p), timeout=5, cached=False
                        )
                        for p in self._partitions
                    }
            except KafkaException as exc:
                if time.monotonic() > deadline:
                    raise TenantDirectoryTimeoutError(
                        f"cannot read the end offsets of {self._topic}: {exc}", topic=self._topic
                    ) from exc
                time.sleep(0.2)

    def _caught_up(self, targets: dict[int, tuple[int, int]]) -> bool:
        with self._progress:
            return all(
                high <= low or self._positions[p] >= high for p, (low, high) in targets.items()
            )

    def start(self) -> None:
        """Follows the topic in a daemon thread until :meth:`close`."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._follow, name="tenant-directory", daemon=True
            )
            self._thread.start()

    def _follow(self) -> None:
        try:
            while not self._stop.is_set():
                self.poll_updates(timeout=0.2)
        except Exception as exc:  # noqa: BLE001 - kept and re-raised in the caller's thread
            self._failure = exc
            with self._progress:
                self._progress.notify_all()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise TopicsError(
                f"tenant directory stopped following {self._topic}: {self._failure}",
                topic=self._topic,
            ) from self._failure

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            self._consumer.close()

    def __enter__(self) -> TenantDirectory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
