"""Every API key's latest record, read from the start of the compacted ``keys`` topic.

The collector follows the topic in a thread, so a key created or revoked by ``pulse keys``
takes effect within a poll (~0.2 s) in every collector, without a restart. It reads without a
consumer group (every collector needs every key) and indexes the records by hash, which is all
a request presents.
"""

from __future__ import annotations

import structlog
from confluent_kafka import Message

from pulse.collector.errors import KeyStoreError
from pulse.collector.keys import ApiKey, hash_key
from pulse.settings import KafkaSettings, Settings
from pulse.topics.compacted import CompactedDirectory

log = structlog.get_logger(__name__)


class KeyDirectory(CompactedDirectory):
    role = "key directory"
    error = KeyStoreError

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._by_id: dict[str, ApiKey] = {}
        self._by_hash: dict[str, ApiKey] = {}
        super().__init__(kafka, topic)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyDirectory:
        return cls(settings.kafka, settings.topic("keys"))

    def lookup(self, presented: str) -> ApiKey | None:
        """The record of the key ``presented`` (revoked ones too), else None."""
        self._raise_failure()
        return self._by_hash.get(hash_key(presented))

    def get(self, key_id: str) -> ApiKey | None:
        return self._by_id.get(key_id)

    def of_tenant(self, tenant_id: str) -> list[ApiKey]:
        return sorted(
            (k for k in self._by_id.values() if k.tenant_id == tenant_id),
            key=lambda k: (k.created_ms, k.key_id),
        )

    def site_origins(self) -> frozenset[str]:
        """Origins some active site key allows (a preflight names no key)."""
        return frozenset(
            o
            for k in self._by_id.values()
            if k.active and k.kind == "site"
            for o in k.allowed_origins
        )

    def _apply(self, key: str, value: bytes | None, msg: Message) -> None:
        old = self._by_id.pop(key, None)
        if old is not None:
            self._by_hash.pop(old.sha256, None)
        if value is None:
            return
        try:
            record = ApiKey.from_json(value)
        except KeyStoreError as exc:
            log.warning(
                "key_record_invalid", topic=self._topic, offset=msg.offset(), reason=exc.message
            )
            return
        self._by_id[key] = record
        self._by_hash[record.sha256] = record
