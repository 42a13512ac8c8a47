"""Every alert rule's latest record, read from the start of the compacted ``alerts.rules``.

The API and the CLI read it to list and change rules; the evaluator will follow it to learn of a
rule created, changed, paused or deleted without a restart. A tombstone deletes a rule.
"""

from __future__ import annotations

import structlog
from confluent_kafka import Message, Producer

from pulse.alerts.errors import (
    AlertPublishError,
    RuleDirectoryError,
    RuleError,
    RulesTopicMissingError,
)
from pulse.alerts.rules import AlertRule
from pulse.settings import KafkaSettings, Settings
from pulse.topics.compacted import CompactedDirectory, publish_record

log = structlog.get_logger(__name__)

RULES_TOPIC = "alerts.rules"


class RuleDirectory(CompactedDirectory):
    role = "rule directory"
    error = RuleDirectoryError
    missing_error = RulesTopicMissingError

    def __init__(self, kafka: KafkaSettings, topic: str) -> None:
        self._by_id: dict[str, AlertRule] = {}
        super().__init__(kafka, topic)

    @classmethod
    def from_settings(cls, settings: Settings) -> RuleDirectory:
        return cls(settings.kafka, settings.topic(RULES_TOPIC))

    def get(self, rule_id: str) -> AlertRule | None:
        self._raise_failure()
        return self._by_id.get(rule_id)

    def of_tenant(self, tenant_id: str) -> list[AlertRule]:
        self._raise_failure()
        return sorted(
            (r for r in self._by_id.values() if r.tenant_id == tenant_id),
            key=lambda r: (r.created_ms, r.rule_id),
        )

    def all(self) -> list[AlertRule]:
        """Every tenant's rules: the evaluator's view."""
        self._raise_failure()
        return list(self._by_id.values())

    def _apply(self, key: str, value: bytes | None, msg: Message) -> None:
        if value is None:
            self._by_id.pop(key, None)
            return
        try:
            rule = AlertRule.from_json(value)
        except RuleError as exc:
            # Keep the last good record: a bad one must not silence a tenant's alert.
            log.warning(
                "rule_record_invalid",
                topic=self._topic,
                partition=msg.partition(),
                offset=msg.offset(),
                reason=exc.message,
            )
            return
        if rule.rule_id != key:
            log.warning("rule_record_key_mismatch", topic=self._topic, offset=msg.offset())
            return
        self._by_id[key] = rule


def publish_rule(producer: Producer, topic: str, rule: AlertRule) -> None:
    publish_record(
        producer, topic, rule.rule_id, rule.to_json(), AlertPublishError, f"rule {rule.rule_id}"
    )


def remove_rule(producer: Producer, topic: str, rule_id: str) -> None:
    publish_record(producer, topic, rule_id, None, AlertPublishError, f"rule {rule_id}")
