"""Removes the topics a Kafka test created under its unique prefix, so the broker stays small."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka.admin import AdminClient

from pulse.settings import Settings


@pytest.fixture
def admin(kafka: str, settings: Settings) -> Iterator[AdminClient]:
    """An admin client of the real broker; deletes the test's own topics afterwards."""
    client = AdminClient({"bootstrap.servers": kafka})
    yield client
    prefix = settings.kafka.topic_prefix + "."
    mine = [t for t in client.list_topics(timeout=10).topics if t.startswith(prefix)]
    if mine:
        for future in client.delete_topics(mine, operation_timeout=30).values():
            future.result()
