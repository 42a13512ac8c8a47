"""Alert destinations, as records of the compacted ``alerts.destinations`` topic.

A record is key = destination id, value = JSON ``{destination_id, tenant_id, kind, url,
addresses, secrets, enabled, disabled_reason, created_ms}``; a null value (tombstone) removes
the destination. ``secrets`` are Standard Webhooks signing secrets (``whsec_`` + base64),
current first and, during a rotation, the previous one second: the deliverer signs with both so
a receiver may switch at its own pace. They are kept out of ``repr`` so no log line shows them.
"""

from __future__ import annotations

import base64
import json
import secrets as random_secrets
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast, get_args

from confluent_kafka import Producer

from pulse.alerts.errors import AlertPublishError, DestinationError
from pulse.topics.compacted import publish_record

Kind = Literal["webhook", "email", "chat"]
KINDS: tuple[str, ...] = get_args(Kind)
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(frozen=True)
class Destination:
    destination_id: str
    tenant_id: str
    kind: Kind
    url: str = ""
    addresses: tuple[str, ...] = ()
    secrets: tuple[str, ...] = field(default=(), repr=False)
    enabled: bool = True
    disabled_reason: str = ""
    created_ms: int = 0

    def __post_init__(self) -> None:
        if not self.destination_id or not self.tenant_id:
            raise DestinationError("a destination needs an id and a tenant_id")
        if self.kind not in KINDS:
            raise DestinationError(f"unknown destination kind {self.kind!r}", kind=self.kind)
        if self.kind == "email":
            if not self.addresses or any("@" not in a for a in self.addresses):
                raise DestinationError("an e-mail destination needs addresses like a@b.example")
        elif not self.url.startswith(("http://", "https://")):
            raise DestinationError(f"a {self.kind} destination needs an http(s) URL")
        if self.kind == "webhook" and not self.secrets:
            raise DestinationError("a webhook destination needs a signing secret")
        if len(self.secrets) > 2 or any(not s.startswith(SECRET_PREFIX) for s in self.secrets):
            raise DestinationError("secrets are at most [current, previous], each whsec_…")

    def rotated(self, secret: str) -> Destination:
        """``secret`` becomes current, the current one previous (both sign until finished)."""
        return replace(self, secrets=(secret, *self.secrets[:1]))

    def rotation_finished(self) -> Destination:
        return replace(self, secrets=self.secrets[:1])

    def disabled(self, reason: str) -> Destination:
        return replace(self, enabled=False, disabled_reason=reason)

    def target(self) -> str:
        """Where it delivers, for listings: the URL or the addresses (never a secret)."""
        return self.url or ",".join(self.addresses)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "destination_id": self.destination_id,
                "tenant_id": self.tenant_id,
                "kind": self.kind,
                "url": self.url,
                "addresses": list(self.addresses),
                "secrets": list(self.secrets),
                "enabled": self.enabled,
                "disabled_reason": self.disabled_reason,
                "created_ms": self.created_ms,
            }
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Destination:
        try:
            data: Any = json.loads(raw)
            return cls(
                destination_id=str(data["destination_id"]),
                tenant_id=str(data["tenant_id"]),
                kind=cast(Kind, data["kind"]),
                url=str(data.get("url", "")),
                addresses=tuple(str(a) for a in data.get("addresses", [])),
                secrets=tuple(str(s) for s in data.get("secrets", [])),
                enabled=bool(data.get("enabled", True)),
                disabled_reason=str(data.get("disabled_reason", "")),
                created_ms=int(data.get("created_ms", 0)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DestinationError(f"not a destination record: {exc}") from exc


def new_destination(
    tenant_id: str, kind: Kind, url: str = "", addresses: tuple[str, ...] = ()
) -> Destination:
    """A fresh destination; webhooks and chats get a signing secret."""
    return Destination(
        destination_id=f"dst_{uuid.uuid4().hex[:16]}",
        tenant_id=tenant_id,
        kind=kind,
        url=url,
        addresses=addresses,
        secrets=(new_secret(),) if kind != "email" else (),
        created_ms=int(time.time() * 1000),
    )


def publish_destination(producer: Producer, topic: str, destination: Destination) -> None:
    publish_record(
        producer,
        topic,
        destination.destination_id,
        destination.to_json(),
        AlertPublishError,
        f"destination {destination.destination_id}",
    )


def remove_destination(producer: Producer, topic: str, destination_id: str) -> None:
    publish_record(
        producer, topic, destination_id, None, AlertPublishError, f"destination {destination_id}"
    )
