"""Which domain topic an event goes to, and its key, driven by ``topics.toml``.

The key is ``tenant_id:<entity id>``, the entity being the first key field of the topic the
event carries (``conversation_id`` before ``message_id``…), so that every event of one
conversation, visitor or run lands in the same partition.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pulse.topics.declarations import Declarations, default_declarations
from pulse.topics.errors import RoutingError


class Router:
    """Routes events by the domain topics of one set of declarations."""

    def __init__(self, declarations: Declarations) -> None:
        self._topic: dict[str, str] = {}
        self._key_fields: dict[str, tuple[str, ...]] = {}
        for spec in declarations.domain_topics():
            for event_type in spec.event_types:
                self._topic[event_type] = spec.name
                self._key_fields[event_type] = spec.key_fields

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._topic)

    def topic_for(self, event_type: str) -> str:
        """The short name of the domain topic of ``event_type``."""
        try:
            return self._topic[event_type]
        except KeyError:
            raise RoutingError(
                f"no topic is declared for event type {event_type!r}",
                field="event_type",
                reason="unknown event type",
            ) from None

    def key_for(self, event: Mapping[str, Any]) -> bytes:
        """``tenant_id:entity_id`` as UTF-8, the entity being the first key field present."""
        event_type = event.get("event_type")
        fields = self._key_fields.get(event_type) if isinstance(event_type, str) else None
        if fields is None:
            raise RoutingError(
                f"no topic is declared for event type {event_type!r}",
                field="event_type",
                reason="unknown event type",
            )
        tenant = event.get("tenant_id")
        if not isinstance(tenant, str) or not tenant:
            raise RoutingError("the event has no tenant_id", field="tenant_id", reason="missing")
        for name in fields:
            value = event.get(name)
            # An absent optional field is None or "" (METRICS.md §4): fall through to the next.
            if value is not None and value != "":
                return f"{tenant}:{value}".encode()
        raise RoutingError(
            f"a {event_type} event needs one of {', '.join(fields)} as its key",
            field=fields[0],
            reason="missing key field",
        )


@cache
def default_router() -> Router:
    """The router of the packaged ``topics.toml``."""
    return Router(default_declarations())


def topic_for(event_type: str) -> str:
    """The short name of the domain topic of ``event_type``, e.g. ``"events.conversations"``."""
    return default_router().topic_for(event_type)


def key_for(event: Mapping[str, Any]) -> bytes:
    """The partitioning key of ``event`` (``tenant_id:entity_id``)."""
    return default_router().key_for(event)
