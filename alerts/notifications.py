"""Alert notifications to deliver: records of ``alerts.notifications``, key ``tenant_id:rule_id``.

The value is JSON ``{notification_id, tenant_id, rule_id, kind, episode_start, occurred_at,
payload, destinations}``. ``notification_id`` is the Standard Webhooks ``webhook-id``: it is
derived from the tenant, rule, episode start and kind, so an evaluator that publishes the same
firing again after a crash publishes the same id, and a receiver deduplicates on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast, get_args

from confluent_kafka import Producer

from pulse.alerts.errors import AlertPublishError, NotificationError
from pulse.topics.compacted import publish_record

Kind = Literal["analytics.alert.triggered", "analytics.alert.resolved"]
KINDS: tuple[str, ...] = get_args(Kind)


def notification_id(tenant_id: str, rule_id: str, episode_start_ms: int, kind: Kind) -> str:
    """One id per episode and kind: the same inputs give the same id in any process."""
    seed = "\x00".join((tenant_id, rule_id, str(episode_start_ms), kind)).encode()
    return "msg_" + hashlib.sha256(seed).hexdigest()[:32]


@dataclass(frozen=True)
class Notification:
    notification_id: str
    tenant_id: str
    rule_id: str
    kind: Kind
    episode_start: int  # ms since the epoch
    occurred_at: int  # ms since the epoch: when the condition was seen (or cleared)
    payload: Mapping[str, Any] = field(default_factory=dict)
    destinations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise NotificationError(f"unknown notification kind {self.kind!r}", kind=self.kind)
        if not (self.notification_id and self.tenant_id and self.rule_id):
            raise NotificationError("a notification needs an id, a tenant_id and a rule_id")

    @classmethod
    def of_episode(
        cls,
        tenant_id: str,
        rule_id: str,
        kind: Kind,
        episode_start: int,
        occurred_at: int,
        payload: Mapping[str, Any],
        destinations: tuple[str, ...],
    ) -> Notification:
        """The notification of one episode's firing or resolution, with its derived id."""
        return cls(
            notification_id(tenant_id, rule_id, episode_start, kind),
            tenant_id,
            rule_id,
            kind,
            episode_start,
            occurred_at,
            payload,
            destinations,
        )

    @property
    def key(self) -> str:
        return f"{self.tenant_id}:{self.rule_id}"

    def only(self, destination_id: str) -> Notification:
        """The same notification (same id) for one destination: a dead letter, a replay."""
        return replace(self, destinations=(destination_id,))

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "notification_id": self.notification_id,
                "tenant_id": self.tenant_id,
                "rule_id": self.rule_id,
                "kind": self.kind,
                "episode_start": self.episode_start,
                "occurred_at": self.occurred_at,
                "payload": dict(self.payload),
                "destinations": list(self.destinations),
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes | None) -> Notification:
        try:
            data: Any = json.loads(raw or b"")
            payload = data.get("payload", {})
            if not isinstance(payload, dict):
                raise TypeError("payload must be an object")
            return cls(
                notification_id=str(data["notification_id"]),
                tenant_id=str(data["tenant_id"]),
                rule_id=str(data["rule_id"]),
                kind=cast(Kind, data["kind"]),
                episode_start=int(data["episode_start"]),
                occurred_at=int(data["occurred_at"]),
                payload=payload,
                destinations=tuple(str(d) for d in data.get("destinations", [])),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotificationError(f"not a notification record: {exc}") from exc


def publish_notification(producer: Producer, topic: str, notification: Notification) -> None:
    """Writes ``notification`` to ``topic`` (keyed by tenant and rule) and waits for the ack.

    ``producer`` should be idempotent (:func:`pulse.topics.compacted.acknowledged_producer`), so
    a retried send does not duplicate the record; a re-published firing keeps its id anyway.
    """
    publish_record(
        producer,
        topic,
        notification.key,
        notification.to_json(),
        AlertPublishError,
        f"notification {notification.notification_id}",
    )
