"""A tenant's dashboards, changed one way: checked whole, written to ``dashboards`` with the
broker's ack, and read back into the directory before the call returns, so a listing right
after a change shows it. Who may see or change which dashboard is the API's to judge
(``pulse.dashboards.graphql``); the book keeps tenants apart.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from confluent_kafka import Producer

from pulse.dashboards.directory import (
    DASHBOARDS_TOPIC,
    DashboardDirectory,
    publish_dashboard,
    remove_dashboard,
)
from pulse.dashboards.errors import InvalidDashboardError
from pulse.dashboards.model import Dashboard, new_dashboard_id, now_ms
from pulse.settings import Settings
from pulse.topics.compacted import acknowledged_producer

CATCH_UP_SECONDS = 30.0
# What a request may set; the id, tenant, author and times are the book's.
EDITABLE = frozenset({"name", "visibility", "org_unit", "widgets", "filters"})


class DashboardBook:
    def __init__(self, directory: DashboardDirectory, producer: Producer, topic: str) -> None:
        self._directory = directory
        self._producer = producer
        self._topic = topic

    @classmethod
    def open(cls, settings: Settings) -> DashboardBook:
        """Caught up with ``dashboards`` and following it in a thread; the caller closes it."""
        directory = DashboardDirectory.from_settings(settings)
        try:
            directory.start()
            directory.wait_until_caught_up(CATCH_UP_SECONDS)
        except BaseException:
            directory.close()
            raise
        producer = acknowledged_producer(settings.kafka)
        return cls(directory, producer, settings.topic(DASHBOARDS_TOPIC))

    def close(self) -> None:
        self._directory.close()

    def of_tenant(self, tenant_id: str) -> list[Dashboard]:
        return self._directory.of_tenant(tenant_id)

    def get(self, tenant_id: str, dashboard_id: str) -> Dashboard:
        """The tenant's dashboard; another tenant's reads as unknown, so ids leak nothing."""
        found = self._directory.get(dashboard_id)
        if found is None or found.tenant_id != tenant_id:
            raise unknown(tenant_id, dashboard_id)
        return found

    def create(self, tenant_id: str, fields: dict[str, Any], created_by: str) -> Dashboard:
        _editable_only(fields)
        now = now_ms()
        made = Dashboard(
            dashboard_id=new_dashboard_id(),
            tenant_id=tenant_id,
            created_by=created_by,
            created_ms=now,
            updated_ms=now,
            **fields,
        )
        return self._publish(made)

    def update(self, found: Dashboard, changes: dict[str, Any]) -> Dashboard:
        """``found`` (from :meth:`get`) with ``changes``; its id, author and creation stay."""
        _editable_only(changes)
        return self._publish(replace(found, **changes, updated_ms=max(now_ms(), found.created_ms)))

    def delete(self, found: Dashboard) -> Dashboard:
        remove_dashboard(self._producer, self._topic, found.dashboard_id)
        self._directory.wait_until_caught_up(CATCH_UP_SECONDS)
        return found

    def _publish(self, dashboard: Dashboard) -> Dashboard:
        publish_dashboard(self._producer, self._topic, dashboard)
        self._directory.wait_until_caught_up(CATCH_UP_SECONDS)
        return dashboard


def unknown(tenant_id: str, dashboard_id: str) -> InvalidDashboardError:
    return InvalidDashboardError("id", f"tenant {tenant_id!r} has no dashboard {dashboard_id!r}")


def _editable_only(fields: dict[str, Any]) -> None:
    unknown_fields = set(fields) - EDITABLE
    if unknown_fields:
        raise InvalidDashboardError(sorted(unknown_fields)[0], "is set by the book, not a request")
