"""The worker creates its dedup changelog topic, as Faust names and configures it, before it
joins its group."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

from pulse.settings import Settings
from pulse.streams.app import create_app
from pulse.streams.changelog_topic import changelog_name, ensure_changelog

pytestmark = [pytest.mark.kafka]


def test_the_changelog_is_created_compacted_once(settings: Settings, kafka: str) -> None:
    """The first call creates a compacted topic of the source partitions; the next finds it."""
    assert ensure_changelog(settings) is True
    admin = AdminClient({"bootstrap.servers": kafka})
    name = f"{settings.stream.app_id}-seen-changelog"
    meta = admin.list_topics(name, timeout=10).topics[name]
    assert meta.error is None and len(meta.partitions) == settings.kafka.partitions
    (future,) = admin.describe_configs([ConfigResource(ResourceType.TOPIC, name)]).values()
    assert future.result(timeout=10)["cleanup.policy"].value == "compact"
    assert ensure_changelog(settings) is False


def test_the_name_is_fausts_own(settings: Settings, kafka: str) -> None:
    """The worker app's seen table writes to the topic the worker created."""
    app = create_app(settings)
    assert app.tables["seen"].changelog_topic.get_topic_name() == changelog_name(settings)
