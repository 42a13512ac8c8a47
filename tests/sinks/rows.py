"""Contract rows for the sink tests (docs/ARCHITECTURE.md "Row contract")."""

from __future__ import annotations

from typing import Any

HOUR = 3_600_000
T0 = 1_717_200_000_000  # 2024-06-01 00:00:00 UTC


def event(tenant: str = "t1", event_id: str = "e1", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": tenant,
        "event_id": event_id,
        "event_type": "message.sent",
        "occurred_at": T0 + 1234,
        "schema_version": 1,
        "channel": "whatsapp",
        "direction": "outbound",
        "sender_type": "agent",
        "message_id": "m1",
        "attributes": {"k": "v"},
        "tags": ["a", "b"],
        "source_topic": "pulse.events.conversations",
        "source_partition": 2,
        "source_offset": 41,
        "ingested_at": T0 + 5000,
    }
    row.update(fields)
    return row


def dead_letter(offset: int) -> dict[str, Any]:
    return {
        "source_topic": "pulse.events.web",
        "source_partition": 0,
        "source_offset": offset,
        "tenant_id": "",
        "code": "decode_error",
        "field": "",
        "reason": "not avro",
        "payload_b64": "AAE=",
        "failed_at": T0,
    }
