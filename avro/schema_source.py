"""The declarative table the committed ``schemas/<event_type>/v<N>.avsc`` files are generated from.

The .avsc files are the source of truth that code reads; this table only saves writing the common
fields 35 times by hand. Edit it, run ``python -m pulse.avro.schema_source``, commit both; a test
fails when the files and the table drift apart. Published versions must never change: add one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
NAMESPACE = "pulse.events"

Field = dict[str, Any]

# Custom properties the contract validator reads (Avro itself ignores them).
RANGE = "pulse.range"
MIN_LENGTH = "pulse.min_length"
MAX_LENGTH = "pulse.max_length"
MAX_ITEMS = "pulse.max_items"

# Identifiers become keys of the worker's state (a dedup segment holds 2,000 of them in one
# changelog record) and of ClickHouse's sorting keys: a bound keeps those records far below
# Kafka's 1 MiB message limit whatever a producer sends.
MAX_ID_CHARS = 256
ID_FIELDS = frozenset(
    {
        "tenant_id", "channel", "message_id", "conversation_id", "contact_id", "agent_id",
        "org_unit", "campaign_id", "workflow_id", "sequence_id", "template_id", "run_id",
        "enrollment_id", "flow_id", "visitor_id", "session_id", "reply_to_message_id",
    }
)  # fmt: skip


def _direction() -> dict[str, Any]:
    return {"type": "enum", "name": "Direction", "symbols": ["inbound", "outbound"]}


def _sender_type() -> dict[str, Any]:
    return {"type": "enum", "name": "SenderType", "symbols": ["contact", "agent", "bot", "system"]}


def _priority() -> dict[str, Any]:
    # The enum default lets a reader map a symbol added later to "normal" instead of failing.
    return {
        "type": "enum",
        "name": "Priority",
        "symbols": ["low", "normal", "high", "urgent"],
        "default": "normal",
        "doc": "Absent means normal (METRICS.md §4).",
    }


def req(name: str, avro_type: Any = "string", **props: Any) -> Field:
    return {"name": name, "type": avro_type, **props}


def opt(name: str, avro_type: Any = "string", **props: Any) -> Field:
    return {"name": name, "type": ["null", avro_type], "default": None, **props}


def common() -> list[Field]:
    return [
        req("event_id", {"type": "string", "logicalType": "uuid"}),
        req("tenant_id", **{MIN_LENGTH: 1}),
        req("event_type"),
        req("occurred_at", {"type": "long", "logicalType": "timestamp-millis"}),
        # The version is stored as a UInt16 (events_raw): a wider one would be unstorable.
        req("schema_version", "int", default=1, **{RANGE: [1, 65535]}),
        req("attributes", {"type": "map", "values": "string"}, default={}),
        req("tags", {"type": "array", "items": "string"}, default=[]),
    ]


MESSAGE_OPTIONAL_IDS = [
    "conversation_id",
    "contact_id",
    "agent_id",
    "org_unit",
    "campaign_id",
    "workflow_id",
    "sequence_id",
]


def _message() -> list[Field]:
    return [
        req("message_id"),
        req("channel", **{MIN_LENGTH: 1}),
        req("direction", _direction()),
        req("sender_type", _sender_type()),
        *(opt(name) for name in MESSAGE_OPTIONAL_IDS),
        opt("sequence_step", "int"),
        opt("template_id"),
    ]


def _conversation() -> list[Field]:
    return [
        req("conversation_id"),
        req("channel", **{MIN_LENGTH: 1}),
        opt("contact_id"),
        opt("agent_id"),
        opt("org_unit"),
        opt("priority", _priority()),
    ]


def _web(*extra: Field) -> list[Field]:
    optional = ["session_id", "url", "referrer", "utm_source", "utm_medium", "utm_campaign"]
    optional += ["device", "browser", "os", "country", "ip"]
    return [req("visitor_id"), *(opt(n) for n in optional), opt("dnt", "boolean"), *extra]


MESSAGE_TYPES = ["sent", "delivered", "read", "clicked", "failed", "complained"]
MESSAGE_TYPES += ["unsubscribed", "received"]

# event type -> the type-specific fields of each version, oldest first.
VERSIONS: dict[str, list[list[Field]]] = {
    **{f"message.{t}": [_message()] for t in MESSAGE_TYPES},
    **{
        f"conversation.{t}": [_conversation()]
        for t in ("created", "assigned", "resolved", "reopened")
    },
    "csat.submitted": [
        [
            req("conversation_id"),
            req("score", "int", **{RANGE: [1, 5]}),
            opt("agent_id"),
            opt("channel", **{MIN_LENGTH: 1}),
            opt("org_unit"),
        ]
    ],
    **{
        f"campaign.{t}": [[req("campaign_id"), opt("name"), opt("channel", **{MIN_LENGTH: 1})]]
        for t in ("started", "completed")
    },
    **{
        f"workflow.{t}": [[req("workflow_id"), req("run_id"), opt("name")]]
        for t in ("run_started", "run_completed", "run_failed", "goal_reached")
    },
    **{
        f"sequence.{t}": [[req("sequence_id"), req("enrollment_id"), opt("step_number", "int")]]
        for t in ("enrolled", "step_executed", "replied", "completed")
    },
    **{
        f"automation.{t}": [[req("flow_id"), opt("channel", **{MIN_LENGTH: 1})]]
        for t in ("executed", "failed")
    },
    "web.page_view": [_web()],
    "web.event": [_web(opt("name"))],
    "contact.created": [[req("contact_id")]],
}

# v2 of message.sent: the message it answers, so threads can be followed (an evolution example).
VERSIONS["message.sent"].append([*_message(), opt("reply_to_message_id")])


def record_name(event_type: str) -> str:
    """``workflow.run_started`` -> ``WorkflowRunStarted``."""
    return "".join(p.capitalize() for p in event_type.replace(".", "_").split("_"))


def render(event_type: str, version: int) -> dict[str, Any]:
    """The full Avro schema of one version of one event type."""
    return {
        "type": "record",
        "name": record_name(event_type),
        "namespace": NAMESPACE,
        "doc": f"{event_type} v{version} (METRICS.md §1)",
        "pulse.event_type": event_type,
        "pulse.version": version,
        "fields": [_bounded(f) for f in [*common(), *VERSIONS[event_type][version - 1]]],
    }


# Any other text (a URL, a name) and the free-form attributes and tags: generous for what they
# carry, small enough that no valid event needs more than a fraction of a hand-off message.
MAX_TEXT_CHARS = 8192
MAX_ITEMS_PER_COLLECTION = 256
MAX_ITEM_CHARS = 1024


def _bounded(field: Field) -> Field:
    """``field`` with the size bounds of its kind (enums, UUIDs and ints have their own)."""
    name, kind = field["name"], _kind(field["type"])
    if name in ID_FIELDS:
        return {**field, MAX_LENGTH: MAX_ID_CHARS}
    if kind in ("map", "array"):
        return {**field, MAX_ITEMS: MAX_ITEMS_PER_COLLECTION, MAX_LENGTH: MAX_ITEM_CHARS}
    if kind == "string" and name != "event_type":
        return {**field, MAX_LENGTH: MAX_TEXT_CHARS}
    return field


def _kind(avro_type: Any) -> str:
    if isinstance(avro_type, list):
        (avro_type,) = [t for t in avro_type if t != "null"]
    if isinstance(avro_type, dict):
        return "uuid" if avro_type.get("logicalType") == "uuid" else str(avro_type["type"])
    return str(avro_type)


def rendered_files() -> dict[Path, str]:
    """Every schema file's relative path and text, as the generator writes it."""
    files: dict[Path, str] = {}
    for event_type, versions in VERSIONS.items():
        for version in range(1, len(versions) + 1):
            text = json.dumps(render(event_type, version), indent=2, ensure_ascii=False) + "\n"
            files[Path(event_type) / f"v{version}.avsc"] = text
    return files


def main() -> int:
    for rel, text in rendered_files().items():
        path = SCHEMA_DIR / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(rendered_files())} schemas under {SCHEMA_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
