"""One event's fate at the collector: accepted (encoded, routed) or rejected with its reason.

The checks are those of every entry (``pulse produce`` gives the same verdicts): the contract
(:func:`pulse.avro.contract.validate`), the instant bounds against the wall clock, routing and
encoding. The collector adds what its key decides: the tenant (a key writes its own tenant
only, METRICS.md §1) and, for a site key, ``web.*`` events only. Every rejected event becomes
a dead letter (:mod:`pulse.collector.letters`). Privacy is applied to what is accepted, before
it is encoded, and to a letter's JSON (:func:`scrubbed`), so no byte with a full address or a dnt
visitor leaves this process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from pulse.avro.contract import validate
from pulse.avro.errors import AvroError
from pulse.avro.instants import InstantBounds
from pulse.collector.keys import ApiKey
from pulse.streams.privacy import anonymize_ip
from pulse.topics.errors import RoutingError
from pulse.topics.routing import Router

TENANT_NOT_ALLOWED = "tenant_not_allowed"
NOT_FOR_SITE_KEY = "not_allowed_for_site_key"


class Encoder(Protocol):
    def encode(self, event: Any) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Accepted:
    index: int
    event_id: str
    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    event_id: str | None
    code: str
    field: str
    reason: str
    detail: str

    def answer(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "event_id": self.event_id,
            "status": "rejected",
            "code": self.code,
            "field": self.field,
            "reason": self.reason,
            "detail": self.detail,
        }


Verdict = Accepted | Rejected


class Judge:
    """Judges the events of requests for one topic prefix."""

    def __init__(
        self, router: Router, encoder: Encoder, bounds: InstantBounds, topic_prefix: str
    ) -> None:
        self._router = router
        self._encoder = encoder
        self._bounds = bounds
        self._prefix = topic_prefix + "."

    def judge(self, index: int, obj: Any, key: ApiKey, client_ip: str) -> Verdict:
        """``obj``'s fate under ``key``; ``client_ip`` is the request's (used for site keys)."""
        raw_id = obj.get("event_id") if isinstance(obj, dict) else None
        event_id = raw_id if isinstance(raw_id, str) else None
        try:
            event = validate(obj)
            if key.kind == "site" and not str(event["event_type"]).startswith("web."):
                return Rejected(
                    index,
                    event_id,
                    "contract_error",
                    "event_type",
                    NOT_FOR_SITE_KEY,
                    f"a site key sends web.* events only, not {event['event_type']}",
                )
            if str(event["event_type"]).startswith("web."):
                protect_privacy(event, key, client_ip)
            topic = self._prefix + self._router.topic_for(event["event_type"])
            routing_key = self._router.key_for(event)
            if event["tenant_id"] != key.tenant_id:
                return Rejected(
                    index,
                    event_id,
                    TENANT_NOT_ALLOWED,
                    "tenant_id",
                    TENANT_NOT_ALLOWED,
                    f"key {key.key_id} writes tenant {key.tenant_id!r} only,"
                    f" not {event['tenant_id']!r}",
                )
            self._bounds.check("occurred_at", event["occurred_at"], int(time.time() * 1000))
            return Accepted(
                index, event["event_id"], topic, routing_key, self._encoder.encode(event)
            )
        except (AvroError, RoutingError) as exc:
            field = str(exc.fields.get("field") or "")
            reason = str(exc.fields.get("reason") or exc.code)
            return Rejected(index, event_id, exc.code, field, reason, exc.message)


def protect_privacy(event: dict[str, Any], key: ApiKey, client_ip: str) -> None:
    """Anonymizes a valid web event's IP (the request's, for a browser's site key, when the
    event names none) and, under ``dnt``, replaces its visitor with its own event id and drops
    its session.

    The visitor id is required by the schema and is the routing key, so it cannot simply go:
    the event id identifies nobody, is the same on a retry (same bytes, same partition), and the
    worker drops the visitor of a dnt event anyway (METRICS.md: it belongs to no visitor)."""
    ip = event.get("ip")
    if ip is None and key.kind == "site":
        ip = client_ip
    event["ip"] = (anonymize_ip(ip) or None) if ip else None
    if event.get("dnt") is True:
        event["visitor_id"] = event["event_id"]
        event["session_id"] = None


def scrubbed(obj: Any) -> Any:
    """An event's JSON as a dead letter keeps it: the IP anonymized and, under ``dnt``, the
    visitor replaced as :func:`protect_privacy` replaces it (so a replay still validates) and the
    session dropped. Anything but an object is kept as sent."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    if isinstance(out.get("ip"), str):
        out["ip"] = anonymize_ip(out["ip"]) or None
    if out.get("dnt") is True:
        if "visitor_id" in out:
            out["visitor_id"] = out.get("event_id")
        out.pop("session_id", None)
    return out
