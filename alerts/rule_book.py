"""A tenant's alert rules, changed the one way the CLI and the GraphQL mutations share.

Every change is checked whole (:class:`AlertRule` validates its fields; the book checks that the
rule is the tenant's and that every destination it names is one of the tenant's), written to
``alerts.rules`` with the broker's ack, and read back into the directory before the call
returns, so a listing right after a change shows it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from confluent_kafka import Producer

from pulse.alerts.directory import DestinationDirectory
from pulse.alerts.errors import RuleError
from pulse.alerts.rule_directory import RULES_TOPIC, RuleDirectory, publish_rule, remove_rule
from pulse.alerts.rules import AlertRule, Status, new_rule_id, now_ms
from pulse.settings import Settings
from pulse.topics.compacted import acknowledged_producer

CATCH_UP_SECONDS = 30.0
# What a change may set; the id, tenant, status and times are the book's.
EDITABLE = frozenset(
    {
        "name",
        "type",
        "metric",
        "filter",
        "window",
        "condition",
        "pending_seconds",
        "cooldown_seconds",
        "recovery",
        "no_data",
        "destinations",
    }
)


class RuleBook:
    """The rules and destinations directories, and the producer that writes rules."""

    def __init__(
        self,
        rules: RuleDirectory,
        destinations: DestinationDirectory,
        producer: Producer,
        topic: str,
        follow: bool,
    ) -> None:
        self._rules = rules
        self._destinations = destinations
        self._producer = producer
        self._topic = topic
        if follow:
            rules.start()
            destinations.start()

    @classmethod
    def open(cls, settings: Settings, follow: bool = False) -> RuleBook:
        """Caught up with both topics; ``follow`` keeps them followed in threads (the API)."""
        rules = RuleDirectory.from_settings(settings)
        try:
            destinations = DestinationDirectory.from_settings(settings)
        except BaseException:
            rules.close()
            raise
        producer = acknowledged_producer(settings.kafka)
        book = cls(rules, destinations, producer, settings.topic(RULES_TOPIC), follow)
        try:
            book._catch_up()
        except BaseException:
            book.close()
            raise
        return book

    def close(self) -> None:
        self._rules.close()
        self._destinations.close()

    def of_tenant(self, tenant_id: str, status: Status | None = None) -> list[AlertRule]:
        return [r for r in self._rules.of_tenant(tenant_id) if status is None or r.status == status]

    def get(self, tenant_id: str, rule_id: str) -> AlertRule:
        """The tenant's rule; another tenant's reads as unknown, so ids leak nothing."""
        rule = self._rules.get(rule_id)
        if rule is None or rule.tenant_id != tenant_id:
            raise RuleError("rule_id", f"tenant {tenant_id!r} has no rule {rule_id!r}")
        return rule

    def create(self, tenant_id: str, fields: dict[str, Any], created_by: str) -> AlertRule:
        _editable_only(fields)
        now = now_ms()
        rule = AlertRule(
            rule_id=new_rule_id(),
            tenant_id=tenant_id,
            created_ms=now,
            updated_ms=now,
            created_by=created_by,
            **fields,
        )
        return self._save(rule)

    def update(self, tenant_id: str, rule_id: str, changes: dict[str, Any]) -> AlertRule:
        _editable_only(changes)
        found = self.get(tenant_id, rule_id)
        return self._save(replace(found, **changes, updated_ms=max(now_ms(), found.created_ms)))

    def set_status(self, tenant_id: str, rule_id: str, status: Status) -> AlertRule:
        found = self.get(tenant_id, rule_id)
        # A destination removed since must not keep a rule from being paused.
        return self._publish(
            replace(found, status=status, updated_ms=max(now_ms(), found.created_ms))
        )

    def delete(self, tenant_id: str, rule_id: str) -> AlertRule:
        found = self.get(tenant_id, rule_id)
        remove_rule(self._producer, self._topic, rule_id)
        self._rules.wait_until_caught_up(CATCH_UP_SECONDS)
        return found

    def _save(self, rule: AlertRule) -> AlertRule:
        self._destinations.wait_until_caught_up(CATCH_UP_SECONDS)
        for destination_id in rule.destinations:
            destination = self._destinations.get(destination_id)
            if destination is None or destination.tenant_id != rule.tenant_id:
                raise RuleError(
                    "destinations",
                    f"tenant {rule.tenant_id!r} has no destination {destination_id!r}",
                )
        return self._publish(rule)

    def _publish(self, rule: AlertRule) -> AlertRule:
        publish_rule(self._producer, self._topic, rule)
        self._rules.wait_until_caught_up(CATCH_UP_SECONDS)
        return rule

    def _catch_up(self) -> None:
        self._rules.wait_until_caught_up(CATCH_UP_SECONDS)
        self._destinations.wait_until_caught_up(CATCH_UP_SECONDS)


def _editable_only(fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE
    if unknown:
        name = sorted(unknown)[0]
        raise RuleError(name, "is set by the rule book, not by a request")
