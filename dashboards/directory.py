"""Every dashboard's latest record, read from the start of the compacted ``dashboards`` topic.

The API follows it in a thread to list and change dashboards; a tombstone deletes one.
"""

from __future__ import annotations

import structlog
from confluent_kafka import Message, Producer

from pulse.dashboards.errors import (
    DashboardDirectoryError,
    DashboardPublishError,
    DashboardsTopicMissingError,
    InvalidDashboardError,
)
from pulse.dashboards.model import Dashboard
from pulse.settings import KafkaSettings, Settings
from pulse.topics.compacted import CompactedDirectory, publish_record

log = structlog.get_logger(__name__)

DASHBOARDS_TOPIC = "dashboards"


class DashboardDirectory(CompactedDirectory):
    role = "dashboard directory"
    error = DashboardDirectoryError
    missing_error = DashboardsTopicMissingError

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._by_id: dict[str, Dashboard] = {}
        super().__init__(kafka, topic)

    @classmethod
    def from_settings(cls, settings: Settings) -> DashboardDirectory:
        return cls(settings.kafka, settings.topic(DASHBOARDS_TOPIC))

    def get(self, dashboard_id: str) -> Dashboard | None:
        self._raise_failure()
        return self._by_id.get(dashboard_id)

    def of_tenant(self, tenant_id: str) -> list[Dashboard]:
        self._raise_failure()
        return sorted(
            (d for d in self._by_id.values() if d.tenant_id == tenant_id),
            key=lambda d: (d.created_ms, d.dashboard_id),
        )

    def _apply(self, key: str, value: bytes | None, msg: Message) -> None:
        if value is None:
            self._by_id.pop(key, None)
            return
        try:
            dashboard = Dashboard.from_json(value)
        except InvalidDashboardError as exc:
            # Keep the last good record: one bad write must not blank a tenant's dashboard.
            log.warning(
                "dashboard_record_invalid",
                topic=self._topic,
                partition=msg.partition(),
                offset=msg.offset(),
                reason=exc.message,
            )
            return
        if dashboard.dashboard_id != key:
            log.warning("dashboard_record_key_mismatch", topic=self._topic, offset=msg.offset())
            return
        self._by_id[key] = dashboard


def publish_dashboard(producer: Producer, topic: str, dashboard: Dashboard) -> None:
    key = dashboard.dashboard_id
    publish_record(
        producer, topic, key, dashboard.to_json(), DashboardPublishError, f"dashboard {key}"
    )


def remove_dashboard(producer: Producer, topic: str, dashboard_id: str) -> None:
    publish_record(
        producer, topic, dashboard_id, None, DashboardPublishError, f"dashboard {dashboard_id}"
    )
