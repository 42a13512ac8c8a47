"""Every alert destination's latest record, read from the start of ``alerts.destinations``.

The deliverer follows the topic in a thread, so a destination added, rotated or disabled by
``pulse alerts destinations`` (or by the deliverer itself on a 410) takes effect within a poll,
without a restart. It reads without a consumer group: every reader needs every destination.
"""

from __future__ import annotations

import structlog
from confluent_kafka import Message

from pulse.alerts.destinations import Destination
from pulse.alerts.errors import DestinationError, DirectoryError
from pulse.settings import KafkaSettings, Settings
from pulse.topics.compacted import CompactedDirectory

log = structlog.get_logger(__name__)


class DestinationDirectory(CompactedDirectory):
    role = "destination directory"
    error = DirectoryError

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._by_id: dict[str, Destination] = {}
        super().__init__(kafka, topic)

    @classmethod
    def from_settings(cls, settings: Settings) -> DestinationDirectory:
        return cls(settings.kafka, settings.topic("alerts.destinations"))

    def get(self, destination_id: str) -> Destination | None:
        self._raise_failure()
        return self._by_id.get(destination_id)

    def of_tenant(self, tenant_id: str) -> list[Destination]:
        return sorted(
            (d for d in self._by_id.values() if d.tenant_id == tenant_id),
            key=lambda d: (d.created_ms, d.destination_id),
        )

    def _apply(self, key: str, value: bytes | None, msg: Message) -> None:
        if value is None:
            self._by_id.pop(key, None)
            return
        try:
            self._by_id[key] = Destination.from_json(value)
        except DestinationError as exc:
            # Keep the last good record: a bad one must not drop a tenant's deliveries.
            log.warning(
                "destination_record_invalid",
                topic=self._topic,
                offset=msg.offset(),
                reason=exc.message,
            )
